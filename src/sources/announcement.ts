// Pure: arXiv's announcement cycle. New submissions are announced Sunday to Thursday at 20:00 US Eastern time; the
// API shows nothing new between two announcements, so one fetch per cycle is all it is worth.
const ZONE = "America/New_York";
const HOUR = 20;
/** Sunday (0) to Thursday (4), in New York. */
const ANNOUNCING_WEEKDAYS = new Set([0, 1, 2, 3, 4]);

const partsFormat = new Intl.DateTimeFormat("en-US", {
  timeZone: ZONE,
  hourCycle: "h23",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});

function zonedParts(instant: number) {
  const parts = Object.fromEntries(partsFormat.formatToParts(instant).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** The zone's offset from UTC at `instant`, in milliseconds (New York: -5 h in winter, -4 h in summer). */
function offsetAt(instant: number): number {
  const p = zonedParts(instant);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant of a wall-clock time in New York. */
function newYorkTime(year: number, month: number, day: number, hour: number): number {
  const guess = Date.UTC(year, month - 1, day, hour);
  const first = guess - offsetAt(guess);
  return guess - offsetAt(first);
}

/** The latest announcement at or before `now`. */
export function lastAnnouncement(now: Date): Date {
  const today = zonedParts(now.getTime());
  for (let back = 0; back <= 7; back++) {
    const calendar = new Date(Date.UTC(today.year, today.month - 1, today.day - back));
    if (!ANNOUNCING_WEEKDAYS.has(calendar.getUTCDay())) continue;
    const at = newYorkTime(calendar.getUTCFullYear(), calendar.getUTCMonth() + 1, calendar.getUTCDate(), HOUR);
    if (at <= now.getTime()) return new Date(at);
  }
  throw new Error("unreachable: arXiv announces every week");
}
