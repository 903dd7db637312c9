// Who gets which papers: finds due subscribers and plans their digests in batches, set-based, in transactions.
// The unique (subscriber, local date) row is the guarantee: several planners at once plan each digest once.
import type { Db } from "../db/client.ts";
import { rebuildProfiles } from "../feedback/queries.ts";
import { ensureKeywordMatches } from "../topics/keywords.ts";
import { refreshMatching } from "../topics/paper-index.ts";
import { createMatchTables, findDueSubscribers, insertDigestItems, insertDigests, listActiveKeywords, listActiveSubscribers, skipEmptyDigests } from "./queries.ts";

export interface PlanResult {
  /** Digests created with papers, ready to send. */
  planned: string[];
  /** Digests created without any new matching paper. */
  skipped: number;
}

export interface PlanOptions {
  now: Date;
  batchSize?: number;
  /** Batches planned at the same time (default 2). */
  parallel?: number;
  /** Papers first seen longer ago than this many days are no candidates (TRENDING_WINDOW_DAYS; default 7). */
  windowDays?: number;
  /** Called after each committed batch, e.g. to enqueue its digests. */
  onBatch?: (plannedIds: string[], skipped: number) => Promise<void> | void;
}

/** The scheduler's job: digests for subscribers whose local delivery hour has come today and who have none yet. */
export function planDueDigests(db: Db, opts: PlanOptions): Promise<PlanResult> {
  return planInBatches(db, opts, (limit, afterId) => findDueSubscribers(db, opts.now, limit, afterId));
}

/** `digest run`: every active subscriber's digest for `date` (or their own local today), whatever their hour. */
export function planAllDigests(db: Db, opts: PlanOptions & { date?: string }): Promise<PlanResult> {
  return planInBatches(db, opts, (limit, afterId) => listActiveSubscribers(db, opts.now, opts.date ?? null, limit, afterId));
}

async function planInBatches(
  db: Db,
  opts: PlanOptions,
  nextBatch: (limit: number, afterId: string | null) => Promise<{ subscriberId: string; localDate: string }[]>,
): Promise<PlanResult> {
  const batchSize = opts.batchSize ?? 2000;
  const result: PlanResult = { planned: [], skipped: 0 };
  await prepareMatching(db);
  // Two batches at once: each is one CPU-bound transaction in PostgreSQL, and batches share no readers.
  const parallel = opts.parallel ?? 2;
  const inflight = new Set<Promise<void>>();
  let afterId: string | null = null;
  for (;;) {
    const due = await nextBatch(batchSize, afterId);
    if (due.length === 0) break;
    afterId = due.at(-1)!.subscriberId;
    const work: Promise<void> = planBatch(db, due, opts.now, opts.windowDays)
      .then(async (batch) => {
        result.planned.push(...batch.planned);
        result.skipped += batch.skipped;
        await opts.onBatch?.(batch.planned, batch.skipped);
      })
      .finally(() => inflight.delete(work));
    inflight.add(work);
    // Handled by the race/all below; without this a batch failing while the next is being fetched would be an
    // unhandled rejection and end the process.
    work.catch(() => {});
    if (inflight.size >= parallel) await Promise.race(inflight);
    if (due.length < batchSize) break;
  }
  await Promise.all(inflight);
  return result;
}

async function planBatch(db: Db, due: { subscriberId: string; localDate: string }[], now: Date, windowDays: number | undefined) {
  return db.$transaction(
    async (tx) => {
      // The batch's candidate rows (readers × matching papers) are sorted and grouped in memory, not on disk.
      await tx.$executeRawUnsafe(`SET LOCAL work_mem = '64MB'`);
      const created = await insertDigests(tx, due, now);
      if (created.length === 0) return { planned: [] as string[], skipped: 0 };
      const ids = created.map((d) => d.id);
      await createMatchTables(tx, ids, now, windowDays);
      await insertDigestItems(tx, ids);
      const skipped = await skipEmptyDigests(tx, ids, now);
      const planned = await tx.digest.findMany({ where: { id: { in: ids }, status: "planned" }, select: { id: true } });
      return { planned: planned.map((d) => d.id), skipped };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

/**
 * Brings the matcher up to date before planning: new papers indexed, topic matches and expansions rebuilt, and the
 * matches of every keyword an active reader follows. A rebuilt index re-derives readers' profiles from their feedback.
 */
export async function prepareMatching(db: Db) {
  const refreshed = await refreshMatching(db);
  if (refreshed.rebuilt) await db.$transaction((tx) => rebuildProfiles(tx, null), { timeout: 600_000 });
  else if (refreshed.indexed.length) {
    // A paper someone voted on before it was indexed (or whose text changed): their profiles include it now.
    const voters = await db.feedback.findMany({ where: { paperId: { in: refreshed.indexed } }, distinct: ["subscriberId"], select: { subscriberId: true } });
    if (voters.length) await db.$transaction((tx) => rebuildProfiles(tx, voters.map((v) => v.subscriberId)), { timeout: 600_000 });
  }
  await ensureKeywordMatches(db, await listActiveKeywords(db));
}
