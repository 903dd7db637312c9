// The service's state for the gauges, read when Prometheus scrapes. Read-only reporting across features (like the
// stats command); every query is an index probe or a scan of a small table, so a scrape every few seconds from
// every process costs next to nothing. Raw SQL: aggregates with FILTER and per-status index probes Prisma cannot say.
import type { Db } from "../db/client.ts";

export interface QueueState {
  planned: number;
  sending: number;
  oldestPlannedAt: Date | null;
}

export interface SourceFreshness {
  source: string;
  lastOkAt: Date | null;
  lastAddedAt: Date | null;
}

export interface DatabaseSnapshot {
  queue: QueueState;
  /** digest_totals: the send pipeline's events summed over every process (src/digest/totals.ts). */
  digestTotals: Record<string, number>;
  recentByStatus: Record<string, number>;
  newestPaperAt: Date | null;
  sources: SourceFreshness[];
}

export async function readDatabaseSnapshot(db: Db, now: Date): Promise<DatabaseSnapshot> {
  const [queue, digestTotals, recentByStatus, newestPaperAt, sources] = await Promise.all([readQueueState(db), readDigestTotals(db), readRecentDigests(db, now), readNewestPaper(db), readSourceFreshness(db)]);
  return { queue, digestTotals, recentByStatus, newestPaperAt, sources };
}

/** A handful of rows. */
async function readDigestTotals(db: Db): Promise<Record<string, number>> {
  const rows = await db.$queryRaw<{ event: string; count: number }[]>`SELECT event, count::float8 AS count FROM digest_totals`;
  return Object.fromEntries(rows.map((r) => [r.event, r.count]));
}

/** Digests waiting or being sent now: the open states are few rows, found through the (status, local_date) index. */
export async function readQueueState(db: Db): Promise<QueueState> {
  const rows = await db.$queryRaw<{ status: string; n: number; oldest: Date | null }[]>`
    SELECT status::text AS status, count(*)::int AS n, min(planned_at) AS oldest
    FROM digests WHERE status IN ('planned', 'sending') GROUP BY status`;
  const planned = rows.find((r) => r.status === "planned");
  return { planned: planned?.n ?? 0, sending: rows.find((r) => r.status === "sending")?.n ?? 0, oldestPlannedAt: planned?.oldest ?? null };
}

/** Digests of local dates from yesterday (UTC) on, per status: one index range per status, not a scan of history. */
async function readRecentDigests(db: Db, now: Date): Promise<Record<string, number>> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1));
  const rows = await db.$queryRaw<{ status: string; n: number }[]>`
    SELECT s.status::text AS status, (SELECT count(*) FROM digests d WHERE d.status = s.status AND d.local_date >= ${since}::date)::int AS n
    FROM unnest(enum_range(NULL::digest_status)) AS s(status)`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function readNewestPaper(db: Db): Promise<Date | null> {
  const [row] = await db.$queryRaw<{ newest: Date | null }[]>`SELECT max(first_seen_at) AS newest FROM papers`;
  return row?.newest ?? null;
}

/** source_runs grows by a few rows an hour: a full aggregate is cheap. */
export async function readSourceFreshness(db: Db): Promise<SourceFreshness[]> {
  return db.$queryRaw<SourceFreshness[]>`
    SELECT source,
           max(finished_at) FILTER (WHERE status = 'ok') AS "lastOkAt",
           max(finished_at) FILTER (WHERE status = 'ok' AND added > 0) AS "lastAddedAt"
    FROM source_runs GROUP BY source ORDER BY source`;
}
