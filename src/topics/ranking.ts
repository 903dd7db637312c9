// The scoring model, in one place. Every number the matcher and the planner use to decide which papers a reader gets
// is here, with what it means; README "The daily digest" explains the whole formula.
//
//   score(reader, paper) = (topics + keywords + liked) × trend × feedback
//
// A paper is an ML paper only if it names enough ML concepts, more than of other fields, and some beyond the query's
// own (see queries.ts).
// evidence(concept, paper) = title·min(hits in title, 2) + lead·min(hits in the first sentences, 3) + body·min(hits in
//   the rest of the abstract, 3). A paper matches a concept-defined query (a topic, or a keyword that names a concept)
//   only if the evidence is in its title, or the abstract mentions the query's concepts at least `minAbstractHits`
//   times — a passing word in the last sentence never makes a paper "about" something.
// topics   = Σ over the reader's topics of Σ weight(concept) × evidence, over the topic's concepts (narrower concepts
//   included); or, for a paper that names none of them, a small expansion score from the vocabulary of the topic's
//   best papers (pseudo-relevance feedback, bounded).
// keywords = keywordBoost × the same for each keyword the reader typed (a concept when the keyword names one, else
//   PostgreSQL full-text search), plus the keyword's own corpus expansion.
// liked    = for a paper that matches none of the above but is close to the reader's profile: entryWeight × affinity.
// trend    = freshness × popularity (src/sources/trend.ts): upvotes gained per hour when sources observed them,
//   else page position; papers first seen before the trending window are no candidates.
// feedback = exp(affinityScale × affinity), clamped to [minFactor, maxFactor]; affinity = the reader's profile
//   (Rocchio weights over terms of the papers they liked and disliked) · the paper's tf-idf vector. A paper with
//   affinity below dropAffinity is not sent at all.
export const RANKING = {
  evidence: { title: 3, lead: 1.5, body: 0.5, titleCap: 2, leadCap: 3, bodyCap: 3 },
  /** A narrower concept counts for its broader one at this share of its weight. */
  narrowerShare: 0.9,
  /** Concepts related to a topic's core concepts (weight ≥ coreWeight) count as supporting evidence at this weight. */
  relatedWeight: 0,
  coreWeight: 0.8,
  /** Mentions needed when a query's concepts appear only in the abstract (one of them of a concept that is not merely
   * supporting). */
  minAbstractHits: 2,
  /** Concepts weighted below this add relevance but cannot make a match on their own (no title or hit count). */
  supportingWeight: 0.5,
  /** Below this a match is too weak to be a reason: e.g. two mentions late in the abstract (2 × 0.5). */
  minRelevance: 1.5,
  /** A paper whose evidence for other fields' concepts exceeds this share of its ML evidence is not an ML paper... */
  otherFieldShare: 1,
  /** ...nor is one that names fewer distinct ML concepts than this (a crow study borrowing "tool use"). */
  minMlConcepts: 2,
  expansion: {
    /** Best papers of a query whose vocabulary is learnt. */
    topDocuments: 10,
    /** Terms kept per query. */
    terms: 12,
    /** A term must occur in at least this many of the best papers... */
    minDocuments: 3,
    /** ...and in at most this share of the whole corpus (else it is not distinctive). */
    maxCorpusShare: 0.15,
    /** A paper enters by expansion alone only with this many distinct expansion terms (a keyword, narrower than a
     * topic, needs fewer)... */
    minTermsHit: 3,
    keywordMinTermsHit: 2,
    /** ...and at least this cosine between the expansion and the paper's vector. */
    minScore: 0.12,
    /** Relevance of an expansion-only match per unit of that cosine (small next to concept evidence). */
    weight: 4,
  },
  /** A keyword the reader typed is a stronger signal than a broad topic. */
  keywordBoost: 1.5,
  /** Weight of the concepts related to the one a keyword names. */
  keywordRelatedWeight: 0.7,
  /** Freshness halves every this many days since first seen. */
  freshnessHalfLifeDays: 3,
  /** Page position: factor 1 / (1 + (rank - 1) / rankScale). */
  rankScale: 300,
  feedback: {
    /** Rocchio: profile = liked centroid − dislikedWeight × disliked centroid. */
    dislikedWeight: 0.75,
    /** Terms kept per reader profile. */
    profileTerms: 64,
    affinityScale: 5,
    minFactor: 0.2,
    maxFactor: 3,
    /** Affinity at which a paper may enter a digest with no topic or keyword match ("Because you liked"). */
    entryAffinity: 0.25,
    /** Affinity below which a paper is left out: it is too much like what the reader said they want less of. */
    dropAffinity: -0.1,
    /** For a reader with a profile, the least (relevance + liked) × feedback a paper must be worth to be sent. */
    profileFloor: 1.5,
    entryWeight: 4,
  },
} as const;

/** SQL expression of a concept's evidence from a paper_concepts row aliased `alias`. */
export function evidenceSql(alias: string): string {
  const e = RANKING.evidence;
  return `(least(${alias}.title_hits, ${e.titleCap}) * ${e.title} + least(${alias}.lead_hits, ${e.leadCap}) * ${e.lead} + least(${alias}.body_hits, ${e.bodyCap}) * ${e.body})::float8`;
}
