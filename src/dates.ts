// How dates and times read on every page and in every email: one style, "Tue 24 Nov 2026" and "07:00", so a reader
// never meets 2026-11-24 on one page and 24/11 on the next. Machine formats (feeds, the data export) stay ISO 8601.
// The formatters are built once per zone: Intl.DateTimeFormat is costly to create and emails format many dates.

const dayFormats = new Map<string, Intl.DateTimeFormat>();
const timeFormats = new Map<string, Intl.DateTimeFormat>();

function cached(map: Map<string, Intl.DateTimeFormat>, timeZone: string, options: Intl.DateTimeFormatOptions) {
  let format = map.get(timeZone);
  if (!format) {
    if (map.size > 500) map.clear();
    format = new Intl.DateTimeFormat("en-GB", { ...options, timeZone });
    map.set(timeZone, format);
  }
  return format;
}

// UTC days already written: every email of a day names the same date, and Intl's format is slow (microseconds).
const utcDays = new Map<number, string>();

/** "Tue 24 Nov 2026". A calendar date stored as midnight UTC (a digest's local date) is formatted in UTC. */
export function formatDay(date: Date, timeZone = "UTC"): string {
  const day = timeZone === "UTC" ? Math.floor(date.getTime() / 86_400_000) : NaN;
  let text = utcDays.get(day);
  if (text === undefined) {
    text = cached(dayFormats, timeZone, { weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(date).replace(",", "");
    if (Number.isFinite(day)) {
      if (utcDays.size > 5000) utcDays.clear();
      utcDays.set(day, text);
    }
  }
  return text;
}

/** "Tue 24 Nov": where the year goes without saying (subject lines). */
export function formatShortDay(date: Date, timeZone = "UTC"): string {
  return formatDay(date, timeZone).replace(/ \d{4}$/, "");
}

/** "07:00" (24-hour clock). */
export function formatTime(date: Date, timeZone = "UTC"): string {
  return cached(timeFormats, timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);
}

/** "Tue 24 Nov 2026, 07:00 UTC": an instant, in a zone the reader can see. */
export function formatDayTime(date: Date, timeZone = "UTC"): string {
  return `${formatDay(date, timeZone)}, ${formatTime(date, timeZone)} ${timeZone}`;
}

/** "2026-11-24": a calendar date for URLs and machine formats. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
