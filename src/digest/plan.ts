// Who gets which papers: finds due subscribers and plans their digests in batches, set-based, in transactions.
// The unique (subscriber, local date) row is the guarantee: several planners at once plan each digest once.
import type { Db } from "../db/client.ts";
import { rebuildProfiles } from "../feedback/queries.ts";
import { resumeEndedPauses } from "../subscriptions/lifecycle.ts";
import { ensureKeywordMatches } from "../topics/keywords.ts";
import { refreshMatching } from "../topics/paper-index.ts";
import { type Candidate, personalize, rankCandidates } from "./candidates.ts";
import { LIST_DEPTH, likedReason, type PlanningRun, startPlanningRun } from "./planning.ts";
import {
  countSentPapers,
  findDueSubscribers,
  insertDigests,
  insertItems,
  insertItemsFromLists,
  listActiveKeywords,
  listActiveSubscribers,
  loadLikedPapers,
  loadOneByOneReaders,
  loadPreferences,
  type ReaderPreferences,
  skipEmptyDigests,
} from "./queries.ts";

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
  await resumeEndedPauses(db, opts.now);
  await prepareMatching(db);
  const run = await startPlanningRun(db, opts.now, opts.windowDays);
  try {
    // Two batches at once: each is mostly PostgreSQL's work (inserts and index probes), and batches share no readers.
    const parallel = opts.parallel ?? 2;
    const inflight = new Set<Promise<void>>();
    let afterId: string | null = null;
    for (;;) {
      const due = await nextBatch(batchSize, afterId);
      if (due.length === 0) break;
      afterId = due.at(-1)!.subscriberId;
      const work: Promise<void> = planBatch(db, run, due, opts.now)
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
  } finally {
    await run.close();
  }
  return result;
}

/**
 * One batch: readers' lists ready (shared per signature, or ranked one by one for a reader with a feedback profile),
 * then in one transaction the digests that do not exist yet, their papers, and the empty ones recorded as skipped.
 */
async function planBatch(db: Db, run: PlanningRun, due: { subscriberId: string; localDate: string }[], now: Date) {
  const readers = new Map((await loadPreferences(db, due.map((d) => d.subscriberId))).map((r) => [r.subscriberId, r]));
  // A reader who was sent many of the window's papers may need more than a stored list holds: ranked one by one.
  const sentCounts = await countSentPapers(db, [...readers.keys()], [...run.inputs.trend.keys()]);
  const oneByOne = (r: ReaderPreferences) => r.hasProfile || r.maxPapers + (sentCounts.get(r.subscriberId) ?? 0) > LIST_DEPTH;
  const shared = [...readers.values()].filter((r) => !oneByOne(r));
  const listIds = await run.listsFor(shared);
  const listOf = new Map(shared.map((r, i) => [r.subscriberId, listIds[i]!]));
  const personal = await rankOneByOne(db, run, [...readers.values()].filter(oneByOne));
  return db.$transaction(
    async (tx) => {
      const created = await insertDigests(tx, due, now);
      if (created.length === 0) return { planned: [] as string[], skipped: 0 };
      await insertItemsFromLists(
        tx,
        run.runId,
        created.filter((d) => listOf.has(d.subscriberId)).map((d) => ({ digestId: d.id, subscriberId: d.subscriberId, listId: listOf.get(d.subscriberId)!, maxPapers: readers.get(d.subscriberId)!.maxPapers })),
      );
      await insertItems(tx, created.flatMap((d) => (personal.get(d.subscriberId) ?? []).map((candidate, i) => ({ digestId: d.id, subscriberId: d.subscriberId, position: i + 1, candidate }))));
      const ids = created.map((d) => d.id);
      const skipped = await skipEmptyDigests(tx, ids, now);
      const planned = await tx.digest.findMany({ where: { id: { in: ids }, status: "planned" }, select: { id: true } });
      return { planned: planned.map((d) => d.id), skipped };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

/** Readers with a feedback profile or a long history: their papers chosen in memory, never one they were sent before. */
async function rankOneByOne(db: Db, run: PlanningRun, readers: ReaderPreferences[]): Promise<Map<string, Candidate[]>> {
  if (readers.length === 0) return new Map();
  const known = await loadOneByOneReaders(db, readers.map((r) => r.subscriberId), [...run.inputs.trend.keys()]);
  const chosen = new Map(readers.map((reader) => [reader.subscriberId, choosePapers(run, reader, known)]));
  await nameLikedPapers(db, run, chosen);
  return chosen;
}

/** One reader's papers, in memory: their ranked list (personalized when they have a profile) minus what they were sent. */
export function choosePapers(run: PlanningRun, reader: ReaderPreferences, known: Awaited<ReturnType<typeof loadOneByOneReaders>>): Candidate[] {
  const already = known.sent.get(reader.subscriberId) ?? new Set<number>();
  const ranked = rankCandidates(run.inputs, reader);
  const profile = known.profiles.get(reader.subscriberId);
  const list = profile?.length ? personalize(run.inputs, ranked, run.vectors.affinities(profile)) : ranked;
  return list.filter((c) => !already.has(c.paperId)).slice(0, reader.maxPapers);
}

/** "Because you liked: <title>" for the papers that entered on a profile alone (looked up only for those readers). */
export async function nameLikedPapers(db: Db, run: PlanningRun, chosen: Map<string, Candidate[]>) {
  const readers = [...chosen].filter(([, list]) => list.some((c) => c.reasons[0] === "liked")).map(([id]) => id);
  if (readers.length === 0) return;
  const liked = await loadLikedPapers(db, readers);
  for (const id of readers) {
    const papers = liked.filter((l) => l.subscriberId === id).map((l) => ({ title: l.title, vector: new Map(l.terms.map((t, i) => [t, l.weights[i]!])) }));
    chosen.set(id, chosen.get(id)!.map((c) => (c.reasons[0] === "liked" ? { ...c, reasons: [likedReason(c, papers, run.vectors.vectorOf(c.paperId))] } : c)));
  }
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
