// What the operator dashboard shows, read from the database. Read-only reporting across features (like the stats
// command and the metrics): each query is one pass over the rows of its time window, grouped by UTC day. Raw SQL:
// window functions, FILTER aggregates and day series that Prisma cannot say.
import type { Db } from "../db/client.ts";

export const SUBSCRIBER_STATES = ["active", "paused", "pending", "unsubscribed", "bounced"] as const;
export type SubscriberState = (typeof SUBSCRIBER_STATES)[number];

/** Days from `days - 1` days before `now` to `now`'s day, as YYYY-MM-DD in UTC. */
export function dayRange(now: Date, days: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * 86400_000).toISOString().slice(0, 10));
}

type DayRows<K extends string> = { day: string } & Record<K, number>;

/** Rows per day (missing days filled with zeros), in `days` order. */
function byDay<K extends string>(days: string[], rows: DayRows<K>[], keys: readonly K[]): Record<K, number[]> {
  const index = new Map(rows.map((r) => [r.day, r]));
  return Object.fromEntries(keys.map((k) => [k, days.map((d) => Number(index.get(d)?.[k] ?? 0))])) as Record<K, number[]>;
}

/**
 * Subscribers in each state at the end of each day, reconstructed from their timestamps: pending from creation,
 * active from confirmation, paused since their last change (while paused now), unsubscribed from unsubscribing,
 * bounced from the suppression's date. A reader who left and came back counts from the latest subscription; deleted
 * readers are gone (their data is deleted on request). Counted as +1/-1 events per state, summed over the days.
 */
export async function readSubscriberHistory(db: Db, days: string[]): Promise<Record<SubscriberState, number[]>> {
  const from = days[0]!;
  const to = days.at(-1)!;
  const rows = await db.$queryRaw<{ day: string; state: SubscriberState; n: number }[]>`
    WITH s AS (
      SELECT sub.created_at AS created,
             CASE WHEN sub.status <> 'pending' THEN sub.confirmed_at END AS confirmed,
             CASE WHEN sub.status = 'paused' THEN sub.updated_at END AS paused,
             CASE WHEN sub.status = 'unsubscribed' THEN coalesce(sub.unsubscribed_at, sub.updated_at)
                  WHEN sub.status = 'bounced' THEN sub.unsubscribed_at END AS unsub,
             CASE WHEN sub.status = 'bounced' THEN coalesce(sup.created_at, sub.updated_at) END AS bounced
      FROM subscribers sub LEFT JOIN suppressions sup ON sup.email = sub.email
    ),
    t AS (SELECT *, least(paused, unsub, bounced) AS leave FROM s),
    spans AS (
      SELECT 'pending' AS state, created AS since, least(confirmed, leave) AS until FROM t
      UNION ALL SELECT 'active', confirmed, leave FROM t WHERE confirmed IS NOT NULL AND (leave IS NULL OR confirmed < leave)
      UNION ALL SELECT 'paused', paused, NULL FROM t WHERE paused IS NOT NULL
      UNION ALL SELECT 'unsubscribed', unsub, bounced FROM t WHERE unsub IS NOT NULL AND (bounced IS NULL OR unsub < bounced)
      UNION ALL SELECT 'bounced', bounced, NULL FROM t WHERE bounced IS NOT NULL
    ),
    events AS (
      SELECT state, since AS at, 1 AS delta FROM spans
      UNION ALL SELECT state, until, -1 FROM spans WHERE until IS NOT NULL
    ),
    -- Everything before the first day counts on the first day: the starting level.
    per_day AS (
      SELECT state, greatest(at::date, ${from}::date) AS day, sum(delta) AS delta
      FROM events WHERE at < ${to}::date + 1 GROUP BY 1, 2
    ),
    grid AS (
      SELECT d::date AS day, st AS state
      FROM generate_series(${from}::date, ${to}::date, interval '1 day') AS d, unnest(${[...SUBSCRIBER_STATES]}::text[]) AS st
    )
    SELECT to_char(g.day, 'YYYY-MM-DD') AS day, g.state,
           (sum(coalesce(p.delta, 0)) OVER (PARTITION BY g.state ORDER BY g.day))::int AS n
    FROM grid g LEFT JOIN per_day p ON p.day = g.day AND p.state = g.state`;
  const index = new Map(rows.map((r) => [`${r.day} ${r.state}`, r.n]));
  return Object.fromEntries(SUBSCRIBER_STATES.map((state) => [state, days.map((d) => index.get(`${d} ${state}`) ?? 0)])) as Record<SubscriberState, number[]>;
}

/**
 * Digest emails per day: sent (by when the SMTP server accepted them), and failed ones by when they failed, split
 * into bounced (the recipient was rejected) and failed (given up after temporary failures; send.ts records those
 * with a last error starting "gave up after").
 */
export async function readEmailsPerDay(db: Db, days: string[]): Promise<Record<"sent" | "failed" | "bounced", number[]>> {
  const from = days[0]!;
  // local_date is indexed (with status) and a digest is finished within a day or two of its local date.
  const rows = await db.$queryRaw<DayRows<"sent" | "failed" | "bounced">[]>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day,
           count(*) FILTER (WHERE kind = 'sent')::int AS sent,
           count(*) FILTER (WHERE kind = 'failed')::int AS failed,
           count(*) FILTER (WHERE kind = 'bounced')::int AS bounced
    FROM (
      SELECT sent_at::date AS day, 'sent' AS kind FROM digests
      WHERE status = 'sent' AND local_date >= ${from}::date - 3 AND sent_at >= ${from}::date
      UNION ALL
      SELECT updated_at::date, CASE WHEN last_error LIKE 'gave up after%' THEN 'failed' ELSE 'bounced' END FROM digests
      WHERE status = 'failed' AND local_date >= ${from}::date - 3 AND updated_at >= ${from}::date
    ) x GROUP BY day`;
  return byDay(days, rows, ["sent", "failed", "bounced"] as const);
}

/** Confirmation links by the day they were sent: closed (used, or replaced by a newer one), expired unused, open. */
export async function readConfirmations(db: Db, days: string[], now: Date) {
  const rows = await db.$queryRaw<DayRows<"closed" | "expired" | "open">[]>`
    SELECT to_char(created_at::date, 'YYYY-MM-DD') AS day,
           count(*) FILTER (WHERE used_at IS NOT NULL)::int AS closed,
           count(*) FILTER (WHERE used_at IS NULL AND expires_at <= ${now})::int AS expired,
           count(*) FILTER (WHERE used_at IS NULL AND expires_at > ${now})::int AS open
    FROM confirmation_tokens WHERE kind = 'confirm' AND created_at >= ${days[0]!}::date GROUP BY 1`;
  const [totals] = await db.$queryRaw<{ open: number; closed: number }[]>`
    SELECT count(*) FILTER (WHERE used_at IS NULL AND expires_at > ${now})::int AS open,
           count(*) FILTER (WHERE used_at IS NOT NULL AND used_at >= ${days[0]!}::date)::int AS closed
    FROM confirmation_tokens WHERE kind = 'confirm'`;
  return { perDay: byDay(days, rows, ["closed", "expired", "open"] as const), openNow: totals?.open ?? 0, closedInRange: totals?.closed ?? 0 };
}

/** The topics and keywords of readers who get emails (active or paused), most followed first. */
export async function readTopInterests(db: Db, limit = 10) {
  const topics = await db.$queryRaw<{ label: string; value: number }[]>`
    SELECT t.name AS label, count(*)::int AS value
    FROM subscriber_topics st JOIN subscribers s ON s.id = st.subscriber_id JOIN topics t ON t.id = st.topic_id
    WHERE s.status IN ('active', 'paused') GROUP BY t.name, t.position ORDER BY value DESC, t.position LIMIT ${limit}`;
  const keywords = await db.$queryRaw<{ label: string; value: number }[]>`
    SELECT lower(k) AS label, count(*)::int AS value
    FROM subscribers s, unnest(s.keywords) AS k
    WHERE s.status IN ('active', 'paused') GROUP BY 1 ORDER BY value DESC, label LIMIT ${limit}`;
  return { topics, keywords };
}

/** Papers by the day they were first seen (any source). */
export async function readPapersPerDay(db: Db, days: string[]): Promise<number[]> {
  const rows = await db.$queryRaw<DayRows<"added">[]>`
    SELECT to_char(first_seen_at::date, 'YYYY-MM-DD') AS day, count(*)::int AS added
    FROM papers WHERE first_seen_at >= ${days[0]!}::date GROUP BY 1`;
  return byDay(days, rows, ["added"] as const).added;
}

export interface DigestRun {
  plannedAt: Date;
  finishedAt: Date | null;
  planned: number;
  sending: number;
  sent: number;
  skipped: number;
  failed: number;
}

/**
 * The latest digest run: a planning run gives all its digests the same planned_at (the scheduler's tick or a CLI
 * `digest run`), so the run is those digests, and it ended when the last of them was sent, skipped or failed.
 */
export async function readLastDigestRun(db: Db, now: Date): Promise<DigestRun | null> {
  const since = new Date(now.getTime() - 8 * 86400_000);
  const [run] = await db.$queryRaw<DigestRun[]>`
    WITH last AS (SELECT max(planned_at) AS at FROM digests WHERE local_date >= ${since}::date)
    SELECT last.at AS "plannedAt",
           max(coalesce(d.sent_at, d.updated_at)) FILTER (WHERE d.status IN ('sent', 'skipped', 'failed')) AS "finishedAt",
           count(*) FILTER (WHERE d.status = 'planned')::int AS planned,
           count(*) FILTER (WHERE d.status = 'sending')::int AS sending,
           count(*) FILTER (WHERE d.status = 'sent')::int AS sent,
           count(*) FILTER (WHERE d.status = 'skipped')::int AS skipped,
           count(*) FILTER (WHERE d.status = 'failed')::int AS failed
    FROM last JOIN digests d ON d.planned_at = last.at AND d.local_date >= ${since}::date
    GROUP BY last.at`;
  return run ?? null;
}
