// The batch planner: pages through the selected readers and plans their digests in batches, set-based, in
// transactions. The unique (subscriber, local date) row is the guarantee that several planners at once plan each
// digest once; the lock on the reader's row, taken before their history is read, that none gives them a paper another
// has given. Plain pg only (no Prisma client): it runs in the lean planning process (planner-process.ts) as well as
// in the process that asked (plan.ts).
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { inPoolTransaction } from "../db/pool.ts";
import { likedReason, type Pick, type PlanningRun, startPlanningRun } from "./planning.ts";
import {
  type DueReader,
  insertDigests,
  knownTimeZones,
  loadLikedPapers,
  loadPaperVectors,
  loadProfiles,
  loadReaders,
  loadSentPapers,
  lockReaders,
  type Queryable,
  type ReaderSelection,
  storeEvidence,
} from "./queries.ts";

export interface PlanResult {
  /** Digests created with papers, ready to send. */
  planned: number;
  /** Digests created without any new matching paper (recorded as skipped). */
  skipped: number;
}

/** What to plan: plain data, so that it can travel to the planning process. */
export interface PlanRequest {
  selection: ReaderSelection;
  /** ISO instant. */
  now: string;
  batchSize?: number;
  /** Batches planned at the same time (default 2). */
  parallel?: number;
  /** Papers first seen longer ago than this many days are no candidates (TRENDING_WINDOW_DAYS; default 7). */
  windowDays?: number;
}

/** Called after each committed batch with its planned digests' ids, e.g. to enqueue them. */
export type OnBatch = (plannedIds: string[], skipped: number) => Promise<void> | void;

export async function planBatches(pool: pg.Pool, request: PlanRequest, onBatch?: OnBatch): Promise<PlanResult> {
  const now = new Date(request.now);
  const batchSize = request.batchSize ?? 5000;
  const result: PlanResult = { planned: 0, skipped: 0 };
  const run = await startPlanningRun(pool, now, request.windowDays);
  const zones = await knownTimeZones(pool);
  // Two batches at once: while one is in PostgreSQL (inserts and index probes) the other picks papers in memory.
  const parallel = request.parallel ?? 2;
  const inflight = new Set<Promise<void>>();
  let afterId: string | null = null;
  for (;;) {
    // A page of subscribers at a time (by id); its due readers are one batch.
    const page = await loadReaders(pool, request.selection, now, zones, batchSize, afterId);
    afterId = page.pageEnd;
    if (page.readers.length) {
      const work: Promise<void> = planBatch(pool, run, page.readers, now)
        .then(async (batch) => {
          result.planned += batch.planned.length;
          result.skipped += batch.skipped;
          await onBatch?.(batch.planned, batch.skipped);
        })
        .finally(() => inflight.delete(work));
      inflight.add(work);
      // Handled by the race/all below; without this a batch failing while the next is being fetched would be an
      // unhandled rejection and end the process.
      work.catch(() => {});
      if (inflight.size >= parallel) await Promise.race(inflight);
    }
    if (afterId === null) break;
  }
  await Promise.all(inflight);
  return result;
}

/**
 * One batch: its readers' feedback profiles, then in one transaction: the readers locked (those still active and not
 * suppressed), what they were sent, their papers picked in memory, the evidence stored, and their digests created with
 * their papers. Reading the history under the lock is what keeps "no paper twice to a reader" with several planners.
 */
async function planBatch(pool: pg.Pool, run: PlanningRun, due: DueReader[], now: Date) {
  const profiles = await loadProfiles(pool, due.filter((r) => r.hasProfile).map((r) => r.subscriberId));
  return inPoolTransaction(pool, async (client) => {
    const active = new Set(await lockReaders(client, due.map((r) => r.subscriberId)));
    const readers = active.size === due.length ? due : due.filter((r) => active.has(r.subscriberId));
    const sent = await loadSentPapers(client, readers.map((r) => r.subscriberId), run.historySince);
    const picks = new Map(readers.map((r) => [r.subscriberId, run.choosePapers(r, sent.get(r.subscriberId), profiles.get(r.subscriberId))]));
    await nameLikedPapers(pool, run, picks);
    await storeRunEvidence(pool, run, picks);
    const ids = timeOrderedUuids(readers.length);
    const created = await insertDigests(
      client,
      readers.map((r, i) => {
        const list = picks.get(r.subscriberId)!;
        return { id: ids[i]!, subscriberId: r.subscriberId, localDate: r.localDate, paperIds: list.map((p) => p.paperId), evidenceIds: list.map((p) => run.evidence.dbId(p.evidenceNumber!)) };
      }),
      now,
    );
    const planned = created.filter((d) => d.planned).map((d) => d.id);
    return { planned, skipped: created.length - planned.length };
  });
}

/** Every pick gets its run evidence number, and the numbers not stored yet get their database ids. */
async function storeRunEvidence(pool: pg.Pool, run: PlanningRun, picks: Map<string, Pick[]>) {
  const numbers: number[] = [];
  for (const list of picks.values()) {
    for (const p of list) {
      p.evidenceNumber ??= run.evidence.numberOf(p.evidence);
      numbers.push(p.evidenceNumber);
    }
  }
  const fresh = run.evidence.unstored(numbers);
  const ids = await storeEvidence(pool, fresh);
  for (const f of fresh) run.evidence.setDbId(f.n, ids.get(f.fingerprint)!);
}

/** "Because you liked: <title>" for the papers that entered on a profile alone (looked up only for those readers). */
export async function nameLikedPapers(db: Queryable, run: PlanningRun, picks: Map<string, Pick[]>) {
  const readers = [...picks].filter(([, list]) => list.some((p) => p.evidence.reasons[0] === "liked")).map(([id]) => id);
  if (readers.length === 0) return;
  const likedBy = new Map<string, { paperId: number; title: string }[]>();
  for (const l of await loadLikedPapers(db, readers)) {
    let list = likedBy.get(l.subscriberId);
    if (!list) likedBy.set(l.subscriberId, (list = []));
    list.push(l);
  }
  const vectorOf = await likedPaperVectors(db, run, [...likedBy.values()].flat().map((l) => l.paperId));
  for (const id of readers) {
    const papers = (likedBy.get(id) ?? []).map((l) => ({ title: l.title, vector: vectorOf(l.paperId) }));
    for (const p of picks.get(id)!) {
      if (p.evidence.reasons[0] !== "liked") continue;
      const reason = likedReason(p.paperId, papers, run.vectors);
      if (reason) p.evidence = { ...p.evidence, reasons: [reason] };
    }
  }
}

/** Liked papers' vectors: the run's for window papers, loaded once per run for older ones. */
const olderVectors = new WeakMap<PlanningRun, Map<number, ReadonlyMap<string, number>>>();
async function likedPaperVectors(db: Queryable, run: PlanningRun, paperIds: number[]) {
  let cache = olderVectors.get(run);
  if (!cache) olderVectors.set(run, (cache = new Map()));
  const missing = [...new Set(paperIds)].filter((id) => !run.vectors.has(id) && !cache.has(id));
  for (const [id, vector] of await loadPaperVectors(db, missing)) cache.set(id, vector);
  return (paperId: number) => (run.vectors.has(paperId) ? run.vectors.vectorOf(paperId) : cache.get(paperId)!);
}

/**
 * `count` version-7 UUIDs (RFC 9562): milliseconds first, then random bits (one read of random bytes for all). A run's
 * digests get increasing ids, so their primary key entries are appended at the end of the index instead
 * of all over it.
 */
export function timeOrderedUuids(count: number, now = Date.now()): string[] {
  const random = randomBytes(16 * count);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = random.subarray(16 * i, 16 * i + 16);
    bytes.writeUIntBE(now, 0, 6);
    bytes[6] = (bytes[6]! & 0x0f) | 0x70;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.toString("hex");
    ids.push(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
  }
  return ids;
}
