// How a paper's score for a subscriber is computed, as data the planner's SQL reads.
//   score = relevance × trend
// relevance: the sum over the subscriber's matching topics and keywords of ts_rank with the weights below
// (title words count most); trend (src/sources/trend.ts): freshness (decays with days since the paper was first
// seen) × popularity (upvotes gained per hour when sources observed them, else page position).
export const RANKING = {
  /** ts_rank weights for labels {D, C, B, A}: A = title, B = abstract. */
  weights: [0.1, 0.2, 0.4, 1.0] as const,
  /** A keyword the reader typed is a stronger signal than a broad topic. */
  keywordBoost: 1.5,
  /** Freshness halves every this many days since first seen. */
  freshnessHalfLifeDays: 3,
  /** Page position: factor 1 / (1 + (rank - 1) / rankScale). */
  rankScale: 300,
} as const;
