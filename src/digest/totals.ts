// Running totals of what the send pipeline did, kept in PostgreSQL so they add up over every process: the app, each
// `worker`, and a CLI `digest run` that plans and sends from its own short-lived process (whose in-memory Prometheus
// counters nobody scrapes). Any process's /metrics shows them as tpd_digest_events_total. Best effort, like any
// metric: recorded right after the work they count, so a process killed in between loses those few counts.
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { SendOutcome } from "./send.ts";

export const DIGEST_EVENTS = ["planned", "skipped_nothing_new", "sent", "skipped_inactive", "bounced", "failed", "retried"] as const;
export type DigestEvent = (typeof DIGEST_EVENTS)[number];
export type DigestEventCounts = Partial<Record<DigestEvent, number>>;

/** Adds the counts in one statement (one row per event; concurrent adds wait on those rows only for that statement). */
export async function addDigestTotals(db: Db, counts: DigestEventCounts): Promise<void> {
  // Always in the same order: two processes adding at once lock the rows in one order, so they cannot deadlock.
  const entries = DIGEST_EVENTS.map((event) => [event, counts[event] ?? 0] as const).filter(([, n]) => n > 0);
  if (entries.length === 0) return;
  // Raw SQL: an additive upsert of several rows at once, which Prisma's upsert (one row, read-then-write) cannot say.
  await db.$executeRaw`
    INSERT INTO digest_totals (event, count)
    SELECT * FROM unnest(${entries.map(([e]) => e)}::text[], ${entries.map(([, n]) => n)}::bigint[])
    ON CONFLICT (event) DO UPDATE SET count = digest_totals.count + excluded.count`;
}

/** The same, where a failure must not fail the work that was counted: logged, and those counts are lost. */
export async function recordDigestTotals(db: Db, log: Logger, counts: DigestEventCounts): Promise<void> {
  await addDigestTotals(db, counts).catch((err) => log.warn({ err, counts }, "could not add to the digest totals (metrics only; nothing else is affected)"));
}

/** A planning run's result as totals. */
export function planTotals(plan: { planned: number | readonly unknown[]; skipped: number }): DigestEventCounts {
  return { planned: typeof plan.planned === "number" ? plan.planned : plan.planned.length, skipped_nothing_new: plan.skipped };
}

/** A worker job's outcomes as totals ("not-claimed": another worker had it, and counts it). */
export function outcomeTotals(outcomes: Iterable<SendOutcome | "retry">): DigestEventCounts {
  const counts: DigestEventCounts = {};
  const add = (event: DigestEvent) => (counts[event] = (counts[event] ?? 0) + 1);
  for (const outcome of outcomes) {
    if (outcome === "sent") add("sent");
    else if (outcome === "skipped") add("skipped_inactive");
    else if (outcome === "bounced") add("bounced");
    else if (outcome === "gave-up") add("failed");
    else if (outcome === "retry") add("retried");
  }
  return counts;
}
