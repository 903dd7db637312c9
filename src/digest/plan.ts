// Who gets which papers, as the scheduler and `digest run` ask for it: the matcher brought up to date in this
// process, then the batches planned (planner.ts), here or in a lean process of its own (planner-process.ts: no Prisma
// client, so planning a million readers fits in 256 MB).
import { type Db, poolOf } from "../db/client.ts";
import { rebuildProfiles } from "../feedback/queries.ts";
import { resumeEndedPauses } from "../subscriptions/lifecycle.ts";
import { ensureKeywordMatches } from "../topics/keywords.ts";
import { refreshMatching } from "../topics/paper-index.ts";
import { type OnBatch, planBatches, type PlanRequest, type PlanResult } from "./planner.ts";
import { planInOwnProcess, type PlannerProcessOptions, type PlannerUsage } from "./planner-process.ts";
import { listActiveKeywords, type ReaderSelection } from "./queries.ts";

export type { PlanResult } from "./planner.ts";

export interface PlanOptions {
  now: Date;
  batchSize?: number;
  /** Batches planned at the same time (default 2). */
  parallel?: number;
  /** Papers first seen longer ago than this many days are no candidates (TRENDING_WINDOW_DAYS; default 7). */
  windowDays?: number;
  /** Called after each committed batch with its planned digests' ids, e.g. to enqueue them. */
  onBatch?: OnBatch;
  /**
   * Plan the batches in a process of its own (the scheduler and `digest run` do): it loads pg and the planner only,
   * and its memory is returned when it ends. Default: in this process.
   */
  ownProcess?: boolean | PlannerProcessOptions;
}

/** What was planned; with `ownProcess`, also what the planning process used. */
export type PlanOutcome = PlanResult & { planner?: PlannerUsage };

/** The scheduler's job: digests for subscribers whose local delivery hour has come today and who have none yet. */
export function planDueDigests(db: Db, opts: PlanOptions): Promise<PlanOutcome> {
  return planSelection(db, opts, { kind: "due" });
}

/** `digest run`: every active subscriber's digest for `date` (or their own local today), whatever their hour. */
export function planAllDigests(db: Db, opts: PlanOptions & { date?: string }): Promise<PlanOutcome> {
  return planSelection(db, opts, { kind: "all", date: opts.date ?? null });
}

async function planSelection(db: Db, opts: PlanOptions, selection: ReaderSelection): Promise<PlanOutcome> {
  await resumeEndedPauses(db, opts.now);
  await prepareMatching(db);
  const request: PlanRequest = { selection, now: opts.now.toISOString(), batchSize: opts.batchSize, parallel: opts.parallel, windowDays: opts.windowDays };
  if (!opts.ownProcess) return planBatches(poolOf(db), request, opts.onBatch);
  // The same database as this process's pool (createDb makes it from the connection string).
  return planInOwnProcess(poolOf(db).options.connectionString!, request, opts.onBatch, opts.ownProcess === true ? {} : opts.ownProcess);
}

/**
 * Brings the matcher up to date before planning: new papers indexed, topic matches and expansions rebuilt, and the
 * matches of every keyword an active reader follows. A rebuilt index re-derives readers' profiles from their feedback.
 */
export async function prepareMatching(db: Db) {
  const refreshed = await refreshMatching(db);
  if (refreshed.rebuilt) {
    await db.$transaction((tx) => rebuildProfiles(tx, null), { timeout: 600_000 });
    // Every profile was just written: statistics of the old table would let the planner scan all of it for each
    // batch's readers (measured: 22 s of 1M readers' planning; autovacuum analyses it only later).
    await db.$executeRawUnsafe("ANALYZE reader_profile_terms");
  } else if (refreshed.indexed.length) {
    // A paper someone voted on before it was indexed (or whose text changed): their profiles include it now.
    const voters = await db.feedback.findMany({ where: { paperId: { in: refreshed.indexed } }, distinct: ["subscriberId"], select: { subscriberId: true } });
    if (voters.length) await db.$transaction((tx) => rebuildProfiles(tx, voters.map((v) => v.subscriberId)), { timeout: 600_000 });
  }
  await ensureKeywordMatches(db, await listActiveKeywords(db));
}
