// One planning run's shared state: the matcher's matches and each candidate paper's trend, loaded once; one ranked
// list per preference signature, computed once and stored for the run (plan_candidates) so that each batch's SQL picks
// every reader's papers from their signature's list, skipping the ones the reader was sent before. Readers with a
// feedback profile are ranked one by one (candidates.ts personalize) in memory.
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client.ts";
import { TREND } from "../sources/trend.ts";
import { FIELD } from "../topics/reasons.ts";
import { type Candidate, type Match, PaperVectors, type Preferences, rankCandidates, type RankingInputs, signatureOf } from "./candidates.ts";
import { deletePlanCandidates, insertPlanCandidates, loadRankingRows } from "./queries.ts";

/**
 * How deep a signature's stored list goes: the largest daily email (10) after skipping what a daily reader of five
 * papers can have been sent within the trending window (7 × 5); a weekly email (up to 20) fits too, since last week's
 * papers have mostly left the window. Whoever needs more than the list holds (papers per email + papers of the window
 * they were sent > LIST_DEPTH) is ranked one by one instead (plan.ts), so every reader gets their N papers.
 */
export const LIST_DEPTH = 45;
/** Reasons kept per paper: what the email quotes. */
const REASONS_KEPT = 3;

export interface PlanningRun {
  readonly runId: string;
  readonly inputs: RankingInputs;
  readonly vectors: PaperVectors;
  /** The run's list id for each of these preferences (ranked and stored, all new ones in one statement, on first use). */
  listsFor(prefs: readonly Preferences[]): Promise<number[]>;
  /** Deletes the run's stored lists. */
  close(): Promise<void>;
}

export async function startPlanningRun(db: Db, now: Date, windowDays: number = TREND.windowDays): Promise<PlanningRun> {
  const rows = await loadRankingRows(db, now, windowDays);
  const topics = new Map<number, { slug: string; matches: Match[] }>();
  for (const r of rows.topicMatches) {
    let topic = topics.get(r.topicId);
    if (!topic) topics.set(r.topicId, (topic = { slug: r.slug, matches: [] }));
    topic.matches.push({ paperId: r.paperId, relevance: r.relevance, reason: r.reason });
  }
  const keywords = new Map<string, Match[]>();
  for (const r of rows.keywordMatches) {
    let matches = keywords.get(r.keyword);
    if (!matches) keywords.set(r.keyword, (matches = []));
    matches.push({ paperId: r.paperId, relevance: r.relevance, reason: r.reason });
  }
  const inputs: RankingInputs = { topics, keywords, trend: new Map(rows.trends.map((t) => [t.paperId, t.trend])) };
  const runId = randomUUID();
  const lists = new Map<string, Promise<number>>();
  let stored: Promise<void> = Promise.resolve();
  return {
    runId,
    inputs,
    vectors: new PaperVectors(rows.vectors),
    async listsFor(many) {
      const fresh: { listId: number; candidates: Candidate[] }[] = [];
      const ids = many.map((prefs) => {
        const key = signatureOf(prefs);
        let list = lists.get(key);
        if (!list) {
          const listId = lists.size + 1;
          fresh.push({ listId, candidates: rankCandidates(inputs, prefs).slice(0, LIST_DEPTH).map((c) => ({ ...c, reasons: c.reasons.slice(0, REASONS_KEPT) })) });
          // Batches planned at the same time wait for the one that stores it.
          list = stored.then(() => listId);
          lists.set(key, list);
        }
        return list;
      });
      const storing = insertPlanCandidates(db, runId, fresh);
      const previous = stored;
      stored = Promise.all([previous, storing]).then(() => undefined);
      await storing;
      return Promise.all(ids);
    },
    close: () => deletePlanCandidates(db, runId),
  };
}

/** "Because you liked: <title>": the liked paper whose vector is closest to the candidate's. */
export function likedReason(candidate: Candidate, liked: readonly { title: string; vector: ReadonlyMap<string, number> }[], candidateVector: ReadonlyMap<string, number>): string {
  let best: { title: string; similarity: number } | undefined;
  for (const l of liked) {
    let similarity = 0;
    for (const [term, weight] of candidateVector) similarity += weight * (l.vector.get(term) ?? 0);
    if (!best || similarity > best.similarity) best = { title: l.title, similarity };
  }
  return best ? `liked${FIELD}${best.title}` : candidate.reasons[0]!;
}
