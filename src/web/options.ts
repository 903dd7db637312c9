import { MAX_PAPERS, MIN_PAPERS } from "../subscriptions/input.ts";
import { WEEKDAYS } from "../subscriptions/schedule.ts";
import { canonicalTimeZone, TIME_ZONES, utcOffset } from "../subscriptions/time-zones.ts";
// Choices for the preference fields, with the current value marked as selected.

const REGION_ORDER = ["UTC", "Africa", "Asia", "Europe", "North America", "South America", "Oceania", "Antarctica"];
const HOUR_MS = 3600_000;
let zoneList: { hour: number; groups: { region: string; zones: { value: string; label: string; search: string; legacy?: string }[] }[] } | undefined;

/** The zones grouped by region, each "(UTC+01:00) Europe/Berlin", ordered by offset; offsets as of this hour. */
function zoneGroups(now: Date) {
  const hour = Math.floor(now.getTime() / HOUR_MS);
  if (zoneList?.hour === hour) return zoneList.groups;
  const byRegion = new Map<string, { value: string; label: string; search: string; legacy?: string; minutes: number }[]>();
  for (const zone of TIME_ZONES) {
    const offset = utcOffset(zone.name, now);
    const sign = offset[3] === "-" ? -1 : 1;
    const minutes = sign * (Number(offset.slice(4, 6)) * 60 + Number(offset.slice(7, 9)));
    const list = byRegion.get(zone.region) ?? [];
    // The offset is searchable as typed in several ways: "+05:30", "+5:30", "utc+5".
    const offsetWords = `${offset.toLowerCase()} ${offset.slice(3)} ${offset.slice(3).replace(/^([+-])0/, "$1")} ${offset.slice(3).replace(/:00$/, "")}`;
    list.push({ value: zone.name, label: `(${offset}) ${zone.name}`, search: `${zone.searchText} ${offsetWords}`, legacy: zone.legacyName, minutes });
    byRegion.set(zone.region, list);
  }
  const groups = [...byRegion]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([region, zones]) => ({ region, zones: zones.sort((a, b) => a.minutes - b.minutes || a.value.localeCompare(b.value)).map(({ minutes: _, ...z }) => z) }));
  zoneList = { hour, groups };
  return groups;
}

const rank = (region: string) => (REGION_ORDER.includes(region) ? REGION_ORDER.indexOf(region) : REGION_ORDER.length);

export function timeZoneOptions(selected: string, now = new Date()) {
  const value = canonicalTimeZone(selected) ?? selected;
  return zoneGroups(now).map((group) => ({ region: group.region, zones: group.zones.map((z) => ({ ...z, selected: z.value === value })) }));
}

export function hourOptions(selected: number) {
  return Array.from({ length: 24 }, (_, hour) => ({ value: hour, label: `${String(hour).padStart(2, "0")}:00`, selected: hour === selected }));
}

/** 3 to 20 papers; more than 10 only in a weekly email (the form says so, the server checks it). */
export function paperCountOptions(selected: number) {
  return Array.from({ length: MAX_PAPERS.weekly - MIN_PAPERS + 1 }, (_, i) => i + MIN_PAPERS).map((value) => ({
    value,
    label: value > MAX_PAPERS.daily ? `${value} (weekly only)` : String(value),
    weeklyOnly: value > MAX_PAPERS.daily,
    selected: value === selected,
  }));
}

export function weekdayOptions(selected: number) {
  return WEEKDAYS.map((name, i) => ({ value: i + 1, label: name, selected: i + 1 === selected }));
}

/** What the shared preference fields (templates/pages/_preferences.hbs) need, from the values being shown. */
export function preferenceChoices(values: Record<string, unknown>) {
  return {
    keywordsText: Array.isArray(values.keywords) ? values.keywords.join(", ") : (values.keywords ?? ""),
    timeZones: timeZoneOptions(String(values.timezone ?? "UTC")),
    hours: hourOptions(Number(values.sendHour ?? 7)),
    paperCounts: paperCountOptions(Number(values.maxPapers ?? 5)),
    weekly: values.cadence === "weekly",
    weekdays: weekdayOptions(Number(values.weekday ?? 1)),
  };
}
