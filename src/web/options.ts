// Choices for the preference fields, with the current value marked as selected.
const ZONES = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];

export function timeZoneOptions(selected: string) {
  return ZONES.map((value) => ({ value, selected: value === selected }));
}

export function hourOptions(selected: number) {
  return Array.from({ length: 24 }, (_, hour) => ({ value: hour, label: `${String(hour).padStart(2, "0")}:00`, selected: hour === selected }));
}

export function paperCountOptions(selected: number) {
  return Array.from({ length: 8 }, (_, i) => i + 3).map((value) => ({ value, selected: value === selected }));
}

/** What the shared preference fields (templates/pages/_preferences.hbs) need, from the values being shown. */
export function preferenceChoices(values: Record<string, unknown>) {
  return {
    keywordsText: Array.isArray(values.keywords) ? values.keywords.join(", ") : (values.keywords ?? ""),
    timeZones: timeZoneOptions(String(values.timezone ?? "UTC")),
    hours: hourOptions(Number(values.sendHour ?? 7)),
    paperCounts: paperCountOptions(Number(values.maxPapers ?? 5)),
  };
}
