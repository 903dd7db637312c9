// Pure: which papers a reader's preferences lead to, in order, by the scoring model of topics/ranking.ts. The inputs
// are the matcher's shared matches (every topic's and keyword's papers with their relevance and quoted evidence) and
// each candidate paper's trend; readers with the same topics and keywords get the same list, so the planner ranks
// once per such signature. A reader's feedback profile reorders and filters their list (personalize).
import { RANKING } from "../topics/ranking.ts";
import { FIELD } from "../topics/reasons.ts";

export interface Match {
  paperId: number;
  relevance: number;
  /** Evidence as the matcher stored it ("concept␟phrase␞phrase", "related␟words"). */
  reason: string;
}

export interface RankingInputs {
  topics: ReadonlyMap<number, { slug: string; matches: readonly Match[] }>;
  keywords: ReadonlyMap<string, readonly Match[]>;
  /** Trend factor of every candidate paper (papers outside the trending window have none, and are no candidates). */
  trend: ReadonlyMap<number, number>;
}

export interface Candidate {
  paperId: number;
  score: number;
  relevance: number;
  topics: string[];
  keywords: string[];
  /** Reason records, strongest first (topics/reasons.ts). */
  reasons: string[];
  /** Profile affinity (0 without a profile). */
  affinity: number;
}

export interface Preferences {
  topicIds: readonly number[];
  keywords: readonly string[];
}

/** A stable key for readers who would get the same list. */
export function signatureOf(prefs: Preferences): string {
  return `${[...prefs.topicIds].sort((a, b) => a - b).join(",")}|${[...prefs.keywords].sort().join(FIELD)}`;
}

/** Every candidate of these preferences, best first: Σ relevance over matching topics and keywords × trend. */
export function rankCandidates(inputs: RankingInputs, prefs: Preferences): Candidate[] {
  const byPaper = new Map<number, Candidate & { evidence: { relevance: number; reason: string }[] }>();
  const add = (match: Match, relevance: number, topic: string | undefined, keyword: string | undefined, reason: string) => {
    if (!inputs.trend.has(match.paperId)) return;
    let c = byPaper.get(match.paperId);
    if (!c) byPaper.set(match.paperId, (c = { paperId: match.paperId, score: 0, relevance: 0, topics: [], keywords: [], reasons: [], affinity: 0, evidence: [] }));
    c.relevance += relevance;
    if (topic) c.topics.push(topic);
    if (keyword) c.keywords.push(keyword);
    c.evidence.push({ relevance, reason });
  };
  for (const topicId of prefs.topicIds) {
    const topic = inputs.topics.get(topicId);
    for (const m of topic?.matches ?? []) add(m, m.relevance, topic!.slug, undefined, `topic${FIELD}${topic!.slug}${FIELD}${m.reason}`);
  }
  for (const keyword of prefs.keywords) {
    for (const m of inputs.keywords.get(keyword) ?? []) add(m, RANKING.keywordBoost * m.relevance, undefined, keyword, `keyword${FIELD}${keyword}${FIELD}${m.reason}`);
  }
  const list = [...byPaper.values()].map(({ evidence, ...c }) => ({
    ...c,
    score: c.relevance * inputs.trend.get(c.paperId)!,
    reasons: evidence.sort((a, b) => b.relevance - a.relevance).map((e) => e.reason),
  }));
  return list.sort((a, b) => compareCandidates(inputs.trend, a, b));
}

/** Best score first; ties by trend, then paper id (the planner's order, so a re-plan picks the same papers). */
function compareCandidates(trend: ReadonlyMap<number, number>, a: Candidate, b: Candidate): number {
  return b.score - a.score || trend.get(b.paperId)! - trend.get(a.paperId)! || a.paperId - b.paperId;
}

/** Window papers' tf-idf vectors as an inverted index: term -> the papers that have it, with their weights. */
export class PaperVectors {
  /** Per term: the slots of the papers that have it and their weights (typed arrays: a planning run reads them for
   * every reader with a profile). */
  private readonly postings = new Map<string, { slots: Int32Array; weights: Float64Array }>();
  private readonly vectors = new Map<number, Map<string, number>>();
  private readonly paperIds: number[] = [];
  /** Scratch for affinities: one sum per paper slot, and whether the current profile touched it. */
  private readonly sums: Float64Array;
  private readonly touchedSlot: Uint8Array;

  constructor(rows: Iterable<{ paperId: number; term: string; weight: number }>) {
    const lists = new Map<string, { slots: number[]; weights: number[] }>();
    const slotOf = new Map<number, number>();
    for (const r of rows) {
      let slot = slotOf.get(r.paperId);
      if (slot === undefined) {
        slotOf.set(r.paperId, (slot = this.paperIds.length));
        this.paperIds.push(r.paperId);
      }
      let list = lists.get(r.term);
      if (!list) lists.set(r.term, (list = { slots: [], weights: [] }));
      list.slots.push(slot);
      list.weights.push(r.weight);
      let vector = this.vectors.get(r.paperId);
      if (!vector) this.vectors.set(r.paperId, (vector = new Map()));
      vector.set(r.term, r.weight);
    }
    for (const [term, list] of lists) this.postings.set(term, { slots: Int32Array.from(list.slots), weights: Float64Array.from(list.weights) });
    this.sums = new Float64Array(this.paperIds.length);
    this.touchedSlot = new Uint8Array(this.paperIds.length);
  }

  /** Whether the paper is one of the run's (inside the window). */
  has(paperId: number): boolean {
    return this.vectors.has(paperId);
  }

  /** A paper's vector (empty for a paper outside the window). */
  vectorOf(paperId: number): ReadonlyMap<string, number> {
    return this.vectors.get(paperId) ?? new Map();
  }

  /** profile · paper vector for every window paper sharing a term with the profile (summed in profile order). */
  affinities(profile: readonly { term: string; weight: number }[]): Map<number, number> {
    const touched: number[] = [];
    const { sums, touchedSlot } = this;
    for (const { term, weight } of profile) {
      const p = this.postings.get(term);
      if (!p) continue;
      for (let i = 0; i < p.slots.length; i++) {
        const slot = p.slots[i]!;
        if (touchedSlot[slot] === 0) {
          touchedSlot[slot] = 1;
          touched.push(slot);
        }
        sums[slot] = sums[slot]! + weight * p.weights[i]!;
      }
    }
    const out = new Map<number, number>();
    for (const slot of touched) {
      out.set(this.paperIds[slot]!, sums[slot]!);
      sums[slot] = 0;
      touchedSlot[slot] = 0;
    }
    return out;
  }
}

/**
 * A reader's list after their feedback profile has spoken (ranking.ts, "feedback"): every candidate's worth scaled by
 * exp(affinityScale × affinity); candidates too much like what they disliked, or no longer worth a match, dropped;
 * papers close to their profile that match nothing else entered ("Because you liked", named by the caller).
 */
export function personalize<C extends Candidate>(
  inputs: RankingInputs,
  base: readonly C[],
  affinities: ReadonlyMap<number, number>,
  /** When `base` is only the head of the reader's ranking: whether a paper is in the rest (it then enters by its match,
   * not as "liked"). */
  inRest?: (paperId: number) => boolean,
): (C | Candidate)[] {
  const f = RANKING.feedback;
  // Tiny affinities are noise from shared generic terms.
  const affinityOf = (paperId: number) => {
    const a = affinities.get(paperId) ?? 0;
    return Math.abs(a) >= 0.01 ? a : 0;
  };
  const factor = (a: number) => Math.min(f.maxFactor, Math.max(f.minFactor, Math.exp(f.affinityScale * a)));
  const out: (C | Candidate)[] = [];
  const seen = new Set<number>();
  const consider = (c: C | Candidate) => {
    const affinity = affinityOf(c.paperId);
    if (affinity < f.dropAffinity) return;
    const worth = (c.relevance + (c.relevance === 0 ? f.entryWeight * affinity : 0)) * factor(affinity);
    if (worth < f.profileFloor) return;
    out.push({ ...c, affinity, score: worth * inputs.trend.get(c.paperId)! });
  };
  for (const c of base) {
    seen.add(c.paperId);
    consider(c);
  }
  for (const [paperId] of affinities) {
    if (seen.has(paperId) || !inputs.trend.has(paperId) || affinityOf(paperId) < f.entryAffinity || inRest?.(paperId)) continue;
    consider({ paperId, score: 0, relevance: 0, topics: [], keywords: [], reasons: ["liked"], affinity: 0 });
  }
  return out.sort((a, b) => compareCandidates(inputs.trend, a, b));
}
