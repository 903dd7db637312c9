import { describe, expect, it } from "vitest";
import { personalize, rankCandidates } from "../../src/digest/candidates.ts";
import { createPlanningRun, type RankingRows } from "../../src/digest/planning.ts";

/** A small seeded generator (mulberry32), so that every run checks the same cases. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A window of 300 papers, 8 topics of 40-160 papers each (longer than a signature's list of 45, so lists are heads of
 * their ranking), 3 keywords, and a tf-idf vector of 12 terms of a 60-term vocabulary per paper.
 */
function rankingRows(next: () => number): RankingRows {
  const papers = Array.from({ length: 300 }, (_, i) => i + 1);
  const pickPapers = (n: number) => papers.filter(() => next() < n / papers.length);
  return {
    trends: papers.map((paperId) => ({ paperId, trend: 0.2 + next() })),
    topicMatches: Array.from({ length: 8 }, (_, t) => pickPapers(40 + 120 * next()).map((paperId) => ({ topicId: t + 1, slug: `topic-${t + 1}`, paperId, relevance: 0.3 + 3 * next(), reason: `concept${t}\u001fphrase ${paperId}` }))).flat(),
    keywordMatches: ["diffusion", "agents", "retrieval"].flatMap((keyword) => pickPapers(30).map((paperId) => ({ keyword, paperId, relevance: 0.2 + 2 * next(), reason: `related\u001f${keyword}` }))),
    vectors: papers.flatMap((paperId) => [...new Set(Array.from({ length: 12 }, () => `t${Math.floor(next() * 60)}`))].map((term) => ({ paperId, term, weight: next() / 3 }))),
  };
}

describe("planning a reader from their signature's cached list", () => {
  it.each([
    ["with or without a feedback profile", undefined],
    ["with or without a feedback profile, when only 5 lists are kept (lists dropped, their slots reused)", 5],
  ])("picks exactly what a full ranking picks (papers, order, scores, reasons): %s", (_, listCache) => {
    const next = random(14);
    const rows = rankingRows(next);
    const run = createPlanningRun(rows, "2026-11-15", { listCache });
    let compared = 0;
    for (let reader = 0; reader < 400; reader++) {
      const prefs = {
        // In one order: readers of one signature share its list, and its reasons name their topics in the first one's order.
        topicIds: [...new Set(Array.from({ length: 1 + Math.floor(next() * 4) }, () => 1 + Math.floor(next() * 8)))].sort((a, b) => a - b),
        keywords: next() < 0.33 ? [["diffusion", "agents", "retrieval"][Math.floor(next() * 3)]!] : [],
        maxPapers: 3 + Math.floor(next() * 18),
      };
      // Profiles from strongly positive to strongly negative, so that papers enter as "liked", move up, drop out.
      const profile = [...new Set(Array.from({ length: 5 + Math.floor(next() * 40) }, () => `t${Math.floor(next() * 60)}`))].map((term) => ({ term, weight: (next() - 0.35) * 2 }));
      const sent = new Set(rows.trends.filter(() => next() < 0.1).map((t) => t.paperId));

      // Every fourth reader without a profile: their papers come straight from the list.
      const withProfile = reader % 4 !== 0;
      const ranked = rankCandidates(run.inputs, prefs);
      const full = (withProfile ? personalize(run.inputs, ranked, run.vectors.affinities(profile)) : ranked).filter((c) => !sent.has(c.paperId)).slice(0, prefs.maxPapers);
      const picks = run.choosePapers(prefs, sent, withProfile ? profile : undefined);
      expect(picks.map((p) => [p.paperId, p.score])).toEqual(full.map((c) => [c.paperId, c.score]));
      expect(picks.map((p) => p.evidence)).toEqual(full.map((c) => ({ paperId: c.paperId, topics: c.topics, keywords: c.keywords, reasons: c.reasons.slice(0, 3) })));
      compared += picks.length;
    }
    expect(compared).toBeGreaterThan(2000);
  });
});
