// Pure: a paper as a sparse, L2-normalised tf-idf vector over folded word stems and the concepts it mentions
// ("c:<concept id>"). Readers' feedback profiles, corpus expansion and "more like this" all compare these vectors.
import type { ConceptHit, ZonedTokens } from "./match.ts";
import { foldWord } from "./tokenize.ts";

export interface WeightedTerm {
  term: string;
  weight: number;
}

/** How much a word counts by where it stands. */
export const ZONE_WEIGHT = { title: 3, lead: 1.5, body: 1 } as const;
/** Terms kept per paper: enough to describe it, few enough that profile joins stay cheap. */
export const TERMS_PER_PAPER = 48;
/** A concept the paper names counts like this many occurrences of a word. */
const CONCEPT_TERM_BOOST = 2;

// Function words and the boilerplate every abstract uses; idf would push them down anyway, but they would still
// take places among a paper's terms.
const STOP_WORDS = new Set(
  (
    "a about above across after again against all also although am among an and another any are as at be because been before being below between " +
    "both but by can could did do does doing done down during each either else enough etc even ever every few for from further had has have " +
    "having he her here hers him his how however i if in into is it its itself just least less like made make makes making many may me " +
    "might more most much must my neither no nor not now of off often on once one only onto or other others otherwise our ours out over " +
    "own per rather same several she should since so some such than that the their theirs them then there these they this those though " +
    "through thus to too toward towards under until up upon us very via was we well were what when where whether which while who whom " +
    "whose why will with within without would yet you your " +
    "paper propose proposed proposes present presents introduce introduces introduced show shows shown demonstrate demonstrates novel new " +
    "approach approaches method methods result results experiment experiments experimental achieve achieves achieving state art " +
    "existing recent recently work works study studies furthermore moreover additionally code available release released github https http www " +
    "com org significantly significant substantially improve improves improved improvement improvements outperform outperforms baseline baselines " +
    "extensive evaluate evaluated evaluation evaluations performance task tasks use used using based first two three large key main " +
    "framework frameworks problem problems across different various including address challenge challenges effective effectively"
  ).split(/\s+/),
);
const STOP_STEMS = new Set([...STOP_WORDS].map(foldWord));

export function isContentStem(stem: string): boolean {
  return stem.length >= 3 && !/^\d/.test(stem) && !STOP_STEMS.has(stem);
}

/** Weighted term frequencies of a paper (before idf). */
export function termFrequencies(zones: ZonedTokens, hits: ConceptHit[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const zone of ["title", "lead", "body"] as const) {
    for (const token of zones[zone]) {
      if (isContentStem(token.stem)) tf.set(token.stem, (tf.get(token.stem) ?? 0) + ZONE_WEIGHT[zone]);
    }
  }
  for (const hit of hits) {
    const evidence = hit.title * ZONE_WEIGHT.title + hit.lead * ZONE_WEIGHT.lead + hit.body * ZONE_WEIGHT.body;
    tf.set(conceptTerm(hit.conceptId), evidence * CONCEPT_TERM_BOOST);
  }
  return tf;
}

export function conceptTerm(conceptId: string): string {
  return `c:${conceptId}`;
}

/** Sublinear tf × idf, the strongest TERMS_PER_PAPER terms, unit length. */
export function weighTerms(tf: Map<string, number>, documentFrequency: (term: string) => number, documents: number, keep = TERMS_PER_PAPER): WeightedTerm[] {
  const weighted: WeightedTerm[] = [];
  for (const [term, count] of tf) {
    const idf = Math.log((documents + 1) / (documentFrequency(term) + 1)) + 1;
    weighted.push({ term, weight: (1 + Math.log(count)) * idf });
  }
  weighted.sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : 1));
  const top = weighted.slice(0, keep);
  const norm = Math.hypot(...top.map((t) => t.weight)) || 1;
  return top.map((t) => ({ term: t.term, weight: t.weight / norm }));
}

/** Dot product of two unit vectors: their cosine similarity. */
export function cosine(a: WeightedTerm[], b: WeightedTerm[]): number {
  const bw = new Map(b.map((t) => [t.term, t.weight]));
  let sum = 0;
  for (const t of a) sum += t.weight * (bw.get(t.term) ?? 0);
  return sum;
}
