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

/**
 * Every candidate of these preferences, best first: Σ relevance over matching topics and keywords × trend. With
 * `limit`, only the best `limit` (the same ones, the same way): a planning run needs a list's head, and the reasons'
 * text is only built for the candidates returned.
 */
export function rankCandidates(inputs: RankingInputs, prefs: Preferences, limit = Infinity): Candidate[] {
  // First the relevance sums alone (every candidate), in the order below; then topics, keywords and reasons for the
  // candidates returned, in the same order.
  const relevance = new Map<number, number>();
  const visit = (each: (match: Match, relevance: number, kind: "topic" | "keyword", name: string) => void) => {
    for (const topicId of prefs.topicIds) {
      const topic = inputs.topics.get(topicId);
      for (const m of topic?.matches ?? []) if (inputs.trend.has(m.paperId)) each(m, m.relevance, "topic", topic!.slug);
    }
    for (const keyword of prefs.keywords) {
      for (const m of inputs.keywords.get(keyword) ?? []) if (inputs.trend.has(m.paperId)) each(m, RANKING.keywordBoost * m.relevance, "keyword", keyword);
    }
  };
  visit((m, r) => relevance.set(m.paperId, (relevance.get(m.paperId) ?? 0) + r));
  const ranked: { paperId: number; score: number }[] = [];
  for (const [paperId, r] of relevance) ranked.push({ paperId, score: r * inputs.trend.get(paperId)! });
  ranked.sort((a, b) => compareCandidates(inputs.trend, a, b));
  if (ranked.length > limit) ranked.length = limit;

  const out = new Map<number, Candidate & { evidence: { relevance: number; reason: string }[] }>();
  for (const { paperId, score } of ranked) out.set(paperId, { paperId, score, relevance: relevance.get(paperId)!, topics: [], keywords: [], reasons: [], affinity: 0, evidence: [] });
  visit((m, r, kind, name) => {
    const c = out.get(m.paperId);
    if (!c) return;
    (kind === "topic" ? c.topics : c.keywords).push(name);
    c.evidence.push({ relevance: r, reason: `${kind}${FIELD}${name}${FIELD}${m.reason}` });
  });
  return [...out.values()].map(({ evidence, ...c }) => ({ ...c, reasons: evidence.sort((a, b) => b.relevance - a.relevance).map((e) => e.reason) }));
}

/** Best score first; ties by trend, then paper id (the planner's order, so a re-plan picks the same papers). */
function compareCandidates(trend: ReadonlyMap<number, number>, a: { paperId: number; score: number }, b: { paperId: number; score: number }): number {
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
