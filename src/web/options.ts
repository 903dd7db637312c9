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
