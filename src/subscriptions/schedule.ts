// Pure: when a reader's emails come. The planner's SQL (digest/queries.ts, findDueSubscribers) applies the same rule:
// a digest is due at the reader's delivery hour on their local date (weekly readers: on their weekday only), and the
// first one is the first delivery hour after they confirmed (confirming at 17:53 with a 07:00 hour means tomorrow at
// 07:00, not the 18:00 scheduler tick). These functions say so on the pages and in the emails.
import { formatShortDay } from "../dates.ts";

export type Cadence = "daily" | "weekly";

export interface DeliverySchedule {
  timezone: string;
  sendHour: number;
  cadence: Cadence;
  /** ISO weekday of a weekly email: 1 = Monday … 7 = Sunday. */
  weekday: number;
}

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

const DAY_MS = 86_400_000;

/**
 * One Intl.DateTimeFormat per kind and zone: building one costs far more than using it (a subscribe request describes
 * the first email's moment, which took several). Bounded: readers' zones are a few hundred IANA names.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(kind: "date" | "wall" | "hour", timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let format = formatters.get(key);
  if (!format) {
    if (formatters.size >= 2000) formatters.clear();
    format =
      kind === "date"
        ? new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric", weekday: "short" })
        : kind === "wall"
          ? new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })
          : new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(key, format);
  }
  return format;
}

/** The calendar date and ISO weekday at `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): { year: number; month: number; day: number; weekday: number } {
  const parts = Object.fromEntries(
    formatter("date", timeZone).formatToParts(instant).map((p) => [p.type, p.value]),
  );
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), weekday: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday!) + 1 };
}

/** The instant a local wall-clock time happens in `timeZone` (as PostgreSQL's `timestamp AT TIME ZONE zone`). */
export function zonedInstant(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour);
  // The zone's offset at a first guess, then at the corrected instant (right across DST changes).
  let instant = wall - offsetAt(new Date(wall), timeZone);
  instant = wall - offsetAt(new Date(instant), timeZone);
  return new Date(instant);
}

function offsetAt(instant: Date, timeZone: string): number {
  const p = Object.fromEntries(
    formatter("wall", timeZone)
      .formatToParts(instant)
      .map((x) => [x.type, Number(x.value)]),
  );
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The first delivery moment at or after `after`: when the scheduler first finds the reader's next email due. */
export function nextDelivery(schedule: DeliverySchedule, after: Date): Date {
  const today = localDate(after, schedule.timezone);
  for (let i = 0; i <= 8; i++) {
    // Calendar arithmetic on a UTC date: no time zone can shift the day count.
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day) + i * DAY_MS);
    const weekday = ((date.getUTCDay() + 6) % 7) + 1;
    if (schedule.cadence === "weekly" && weekday !== schedule.weekday) continue;
    const moment = zonedInstant(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), schedule.sendHour, schedule.timezone);
    if (moment.getTime() >= after.getTime()) return moment;
  }
  throw new Error("no delivery within 8 days"); // unreachable: every week has the weekday
}

/** "today, 18:00 Europe/Berlin", "tomorrow, 07:00 Europe/Berlin" or "Mon 30 Nov, 07:00 Europe/Berlin", seen from `now`. */
export function describeMoment(moment: Date, now: Date, timeZone: string): string {
  const day = localDate(moment, timeZone);
  const today = localDate(now, timeZone);
  const days = Math.round((Date.UTC(day.year, day.month - 1, day.day) - Date.UTC(today.year, today.month - 1, today.day)) / DAY_MS);
  const when = days === 0 ? "today" : days === 1 ? "tomorrow" : formatShortDay(moment, timeZone);
  const hour = formatter("hour", timeZone).format(moment);
  return `${when}, ${hour} ${timeZone}`;
}

/** "every day at 07:00" or "every Monday at 07:00". */
export function describeCadence(schedule: DeliverySchedule): string {
  const hour = `${String(schedule.sendHour).padStart(2, "0")}:00`;
  return schedule.cadence === "weekly" ? `every ${WEEKDAYS[schedule.weekday - 1]} at ${hour}` : `every day at ${hour}`;
}
