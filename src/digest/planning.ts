// One planning run's shared state, all in memory: the matcher's matches and each candidate paper's trend (loaded once),
// the evidence the run has met, and one ranked list per preference signature (computed on first use, kept compact, at
// most LIST_CACHE of them). Each reader's papers are then picked in memory: their list minus what they were sent.
import { TREND } from "../sources/trend.ts";
import { RANKING } from "../topics/ranking.ts";
import { FIELD } from "../topics/reasons.ts";
import { type Candidate, type Match, PaperVectors, personalize, type Preferences, rankCandidates, type RankingInputs, signatureOf } from "./candidates.ts";
import { type Evidence, EvidenceTable } from "./evidence.ts";
import { historySince, loadRankingRows, type Queryable } from "./queries.ts";

/**
 * How deep a signature's list goes: the largest daily email (10) after skipping what a daily reader of five papers can
 * have been sent within the trending window (7 × 5); a weekly email (up to 20) fits too, since last week's papers have
 * mostly left the window. A reader who needs more than the list holds (papers per email + papers of the window they
 * were sent > LIST_DEPTH) is ranked in full (choosePapers), so every reader gets their N papers.
 */
export const LIST_DEPTH = 45;
/** Lists kept at once: every signature of topics alone and the common keywords, not one per reader's own keywords. */
const LIST_CACHE = 20_000;
/** Reasons kept per paper: what the email quotes. */
const REASONS_KEPT = 3;

/**
 * The cached lists, each a signature's best LIST_DEPTH papers, in one set of columns (slot × LIST_DEPTH + rank): a
 * list of objects per signature would cost hundreds of MB, and four small typed arrays per list (~1.8 kB with their
 * objects, 20,000 lists) were most of the planning process's live heap.
 */
class ListSlab {
  paperIds = new Int32Array(0);
  scores = new Float64Array(0);
  /** Σ relevance (score before the trend), for a profile to scale. */
  relevance = new Float64Array(0);
  /** The run's evidence number of each paper's reasons. */
  evidence = new Int32Array(0);
  /** Papers in each slot's list. */
  lengths = new Uint8Array(0);
  /** 0 when the ranking went deeper than the slot's list. */
  complete = new Uint8Array(0);

  get slots() {
    return this.lengths.length;
  }

  /** Room for `slots` lists, keeping those stored (grown as signatures come: a preview of one reader needs one). */
  grow(slots: number) {
    const column = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T, width: number) => {
      const next = make(slots * width);
      next.set(old);
      return next;
    };
    this.paperIds = column(this.paperIds, (n) => new Int32Array(n), LIST_DEPTH);
    this.scores = column(this.scores, (n) => new Float64Array(n), LIST_DEPTH);
    this.relevance = column(this.relevance, (n) => new Float64Array(n), LIST_DEPTH);
    this.evidence = column(this.evidence, (n) => new Int32Array(n), LIST_DEPTH);
    this.lengths = column(this.lengths, (n) => new Uint8Array(n), 1);
    this.complete = column(this.complete, (n) => new Uint8Array(n), 1);
  }
}

/** A cached list: where it starts in the slab's columns, and how long it is. */
interface RankedList {
  start: number;
  length: number;
  complete: boolean;
}

/** A paper picked for a reader: its score and why (the run's evidence number once known). */
export interface Pick {
  paperId: number;
  score: number;
  evidence: Evidence;
  evidenceNumber?: number;
}

export interface PlanningRun {
  readonly inputs: RankingInputs;
  readonly vectors: PaperVectors;
  readonly evidence: EvidenceTable;
  /** Ids of the papers inside the trending window: the only candidates. */
  readonly windowPaperIds: number[];
  /** From which date a reader's digests can hold a window paper (queries.ts historySince). */
  readonly historySince: string;
  /** A reader's papers: best first, none they were sent, at most their papers per email ("liked" still unnamed). */
  choosePapers(reader: Preferences & { maxPapers: number }, sent: ReadonlySet<number> | undefined, profile: readonly { term: string; weight: number }[] | undefined): Pick[];
}

export async function startPlanningRun(db: Queryable, now: Date, windowDays: number = TREND.windowDays): Promise<PlanningRun> {
  return createPlanningRun(await loadRankingRows(db, now, windowDays), historySince(now, windowDays));
}

/** What the matcher's rows rank into (pure: the planner's state for one run). */
export type RankingRows = Awaited<ReturnType<typeof loadRankingRows>>;

/** `listCache`: lists kept at once (LIST_CACHE; fewer in tests, so that lists are dropped and their slots reused). */
export function createPlanningRun(rows: RankingRows, since: string, { listCache = LIST_CACHE }: { listCache?: number } = {}): PlanningRun {
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
  const vectors = new PaperVectors(rows.vectors);
  const evidence = new EvidenceTable();
  const slab = new ListSlab();
  // Signature → slot, least recently used first; the slots of lists dropped are reused.
  const lists = new Map<string, number>();
  const listOf = (slot: number): RankedList => ({ start: slot * LIST_DEPTH, length: slab.lengths[slot]!, complete: slab.complete[slot] === 1 });

  const evidenceOf = (c: Candidate): Evidence => ({ paperId: c.paperId, topics: c.topics, keywords: c.keywords, reasons: c.reasons.slice(0, REASONS_KEPT) });

  const listFor = (prefs: Preferences): RankedList => {
    const key = signatureOf(prefs);
    let slot = lists.get(key);
    if (slot !== undefined) {
      // Least recently used goes first: re-inserting moves this one to the end.
      lists.delete(key);
      lists.set(key, slot);
      return listOf(slot);
    }
    if (lists.size < listCache) {
      slot = lists.size;
      if (slot === slab.slots) slab.grow(Math.min(listCache, Math.max(64, slab.slots * 2)));
    } else {
      const oldest = lists.keys().next().value!;
      slot = lists.get(oldest)!;
      lists.delete(oldest);
    }
    // One more than the list holds: whether the ranking goes deeper.
    const ranked = rankCandidates(inputs, prefs, LIST_DEPTH + 1);
    const length = Math.min(ranked.length, LIST_DEPTH);
    const start = slot * LIST_DEPTH;
    for (let i = 0; i < length; i++) {
      const c = ranked[i]!;
      slab.paperIds[start + i] = c.paperId;
      slab.scores[start + i] = c.score;
      slab.relevance[start + i] = c.relevance;
      slab.evidence[start + i] = evidence.numberOf(evidenceOf(c));
    }
    slab.lengths[slot] = length;
    slab.complete[slot] = ranked.length <= LIST_DEPTH ? 1 : 0;
    lists.set(key, slot);
    return listOf(slot);
  };

  const fromCandidates = (ranked: readonly Candidate[], sent: ReadonlySet<number> | undefined, maxPapers: number): Pick[] => {
    const picks: Pick[] = [];
    for (const c of ranked) {
      if (picks.length === maxPapers) break;
      if (!sent?.has(c.paperId)) picks.push({ paperId: c.paperId, score: c.score, evidence: evidenceOf(c) });
    }
    return picks;
  };

  // Which papers each topic and keyword matches: whether a paper beyond a ranked list's head is a match of the reader.
  const topicPapers = new Map([...topics].map(([id, t]) => [id, new Set(t.matches.map((m) => m.paperId))]));
  const keywordPapers = new Map([...keywords].map(([k, matches]) => [k, new Set(matches.map((m) => m.paperId))]));
  const matchesOf = (prefs: Preferences) => (paperId: number) =>
    prefs.topicIds.some((t) => topicPapers.get(t)?.has(paperId)) || prefs.keywords.some((k) => keywordPapers.get(k)?.has(paperId));

  /**
   * A reader with a profile, from their signature's list instead of a full ranking: the list's head personalized
   * (personalize, as for the full ranking; papers beyond the head enter only by their match). Exact when the list is
   * complete, or when the last pick beats what any paper beyond the head could reach (its score × maxFactor);
   * otherwise undefined, and the caller ranks in full.
   */
  const personalizedFromList = (reader: Preferences & { maxPapers: number }, sent: ReadonlySet<number> | undefined, affinities: ReadonlyMap<number, number>): Pick[] | undefined => {
    const list = listFor(reader);
    const head = Array.from({ length: list.length }, (_, i) => {
      const at = list.start + i;
      const n = slab.evidence[at]!;
      const e = evidence.get(n);
      return { paperId: slab.paperIds[at]!, score: slab.scores[at]!, relevance: slab.relevance[at]!, topics: e.topics as string[], keywords: e.keywords as string[], reasons: e.reasons as string[], affinity: 0, evidenceNumber: n };
    });
    const ranked = personalize(inputs, head, affinities, list.complete ? undefined : matchesOf(reader));
    const picks: Pick[] = [];
    for (const c of ranked) {
      if (picks.length === reader.maxPapers) break;
      if (sent?.has(c.paperId)) continue;
      const n = "evidenceNumber" in c ? c.evidenceNumber : undefined;
      picks.push(n === undefined ? { paperId: c.paperId, score: c.score, evidence: evidenceOf(c) } : { paperId: c.paperId, score: c.score, evidence: evidence.get(n), evidenceNumber: n });
    }
    if (list.complete) return picks;
    const beyond = RANKING.feedback.maxFactor * (list.length ? slab.scores[list.start + list.length - 1]! : Infinity);
    return picks.length === reader.maxPapers && picks.at(-1)!.score > beyond ? picks : undefined;
  };

  return {
    inputs,
    vectors,
    evidence,
    windowPaperIds: rows.trends.map((t) => t.paperId),
    historySince: since,
    choosePapers(reader, sent, profile) {
      if (profile?.length) {
        const affinities = vectors.affinities(profile);
        return personalizedFromList(reader, sent, affinities) ?? fromCandidates(personalize(inputs, rankCandidates(inputs, reader), affinities), sent, reader.maxPapers);
      }
      const list = listFor(reader);
      const picks: Pick[] = [];
      for (let at = list.start; at < list.start + list.length && picks.length < reader.maxPapers; at++) {
        if (sent?.has(slab.paperIds[at]!)) continue;
        const n = slab.evidence[at]!;
        picks.push({ paperId: slab.paperIds[at]!, score: slab.scores[at]!, evidence: evidence.get(n), evidenceNumber: n });
      }
      // A reader who was sent most of their list: the full ranking goes deeper.
      if (picks.length < reader.maxPapers && !list.complete) return fromCandidates(rankCandidates(inputs, reader), sent, reader.maxPapers);
      return picks;
    },
  };
}

/** "Because you liked: <title>": the liked paper whose vector is closest to the candidate's. */
export function likedReason(paperId: number, liked: readonly { title: string; vector: ReadonlyMap<string, number> }[], vectors: PaperVectors): string | undefined {
  const candidateVector = vectors.vectorOf(paperId);
  let best: { title: string; similarity: number } | undefined;
  for (const l of liked) {
    let similarity = 0;
    for (const [term, weight] of candidateVector) similarity += weight * (l.vector.get(term) ?? 0);
    if (!best || similarity > best.similarity) best = { title: l.title, similarity };
  }
  return best ? `liked${FIELD}${best.title}` : undefined;
}
