import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SignalObservation, TREND, trendOf, trendQuery, velocityOf } from "../../src/sources/trend.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { poolOf } from "../../src/db/client.ts";

const NOW = new Date("2026-11-24T12:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const hf = (h: number, upvotes: number, comments = 0): SignalObservation => ({ source: "huggingface", observedAt: hoursAgo(h), upvotes, comments });

describe("the trend formula", () => {
  it("without signals is freshness × page position, as before live sources", () => {
    const t = trendOf({ now: NOW, firstSeenAt: hoursAgo(72), rank: 31, signals: [] });
    expect(t).toBeCloseTo(0.5 * (1 / (1 + 30 / 300)), 12);
  });

  it("counts upvotes gained per hour since first seen, with the Hacker News +2 hours", () => {
    expect(velocityOf({ now: NOW, firstSeenAt: hoursAgo(10), rank: 1, signals: [hf(0, 120)] })).toBeCloseTo(120 / 12, 12);
    // Comments count half.
    expect(velocityOf({ now: NOW, firstSeenAt: hoursAgo(10), rank: 1, signals: [hf(0, 100, 40)] })).toBeCloseTo(120 / 12, 12);
  });

  it("rises as upvotes rise across fetches", () => {
    const first = trendOf({ now: hoursAgo(5), firstSeenAt: hoursAgo(6), rank: 1, signals: [hf(5, 10)] });
    const later = trendOf({ now: NOW, firstSeenAt: hoursAgo(6), rank: 1, signals: [hf(5, 10), hf(0, 60)] });
    expect(later).toBeGreaterThan(first);
  });

  it("counts only the last 24 hours of votes once older observations exist (momentum, not fame)", () => {
    const famous = { now: NOW, firstSeenAt: hoursAgo(60), rank: 1, signals: [hf(48, 400), hf(0, 410)] };
    const rising = { now: NOW, firstSeenAt: hoursAgo(30), rank: 1, signals: [hf(26, 5), hf(0, 125)] };
    expect(velocityOf(famous)).toBeCloseTo(10 / (48 + 2), 12);
    expect(velocityOf(rising)).toBeCloseTo(120 / (26 + 2), 12);
    expect(trendOf(rising)).toBeGreaterThan(trendOf(famous));
  });

  it("ignores observations after `now` and never goes below a paper without signals", () => {
    expect(velocityOf({ now: NOW, firstSeenAt: hoursAgo(3), rank: 1, signals: [{ ...hf(0, 50), observedAt: new Date(NOW.getTime() + 3_600_000) }] })).toBeUndefined();
    const zeroVotes = trendOf({ now: NOW, firstSeenAt: hoursAgo(3), rank: 1, signals: [hf(0, 0)] });
    const noSignal = trendOf({ now: NOW, firstSeenAt: hoursAgo(3), rank: 1, signals: [] });
    expect(zeroVotes).toBeCloseTo(noSignal, 12);
  });

  it("keeps topic relevance in play: 500 upvotes weigh less than 10 times 5 upvotes", () => {
    const big = trendOf({ now: NOW, firstSeenAt: hoursAgo(10), rank: 1, signals: [hf(0, 500)] });
    const small = trendOf({ now: NOW, firstSeenAt: hoursAgo(10), rank: 1, signals: [hf(0, 5)] });
    expect(big / small).toBeLessThan(10);
    expect(big).toBeGreaterThan(small);
  });
});

describe("the planner's SQL", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("computes the same trend as the TypeScript twin, and leaves out papers first seen before the window", async () => {
    const { db } = database;
    const cases = [
      { title: "No signals, rank 7", firstSeenAt: hoursAgo(30), rank: 7, signals: [] as SignalObservation[] },
      { title: "Fresh with votes", firstSeenAt: hoursAgo(4), rank: 3, signals: [hf(3, 2), hf(1, 30, 4)] },
      { title: "Older with history", firstSeenAt: hoursAgo(70), rank: 1, signals: [hf(69, 1), hf(47, 200, 10), hf(23, 260, 12), hf(0, 300, 20)] },
      { title: "Two sources", firstSeenAt: hoursAgo(12), rank: 2, signals: [hf(2, 40), { source: "other", observedAt: hoursAgo(1), upvotes: 90, comments: 0 }] },
      { title: "Future observation ignored", firstSeenAt: hoursAgo(5), rank: 1, signals: [hf(2, 10), { ...hf(0, 999), observedAt: new Date(NOW.getTime() + 7_200_000) }] },
      { title: "Outside the window", firstSeenAt: hoursAgo(TREND.windowDays * 24 + 1), rank: 1, signals: [hf(1, 50)] },
    ];
    const ids = new Map<number, (typeof cases)[number]>();
    for (const [i, c] of cases.entries()) {
      const paper = await db.paper.create({
        data: { key: `k${i}`, titleKey: `k${i}`, title: c.title, displayTitle: c.title, abstract: "An abstract.", links: [], rank: c.rank, sourceFile: "test", firstSeenAt: c.firstSeenAt },
      });
      ids.set(paper.id, c);
      if (c.signals.length) await db.paperSignal.createMany({ data: c.signals.map((s) => ({ paperId: paper.id, ...s })) });
    }
    const { rows } = await poolOf(db).query<{ paper_id: number; trend: number }>(trendQuery(NOW, TREND.windowDays));
    expect(rows).toHaveLength(cases.length - 1);
    for (const row of rows) {
      const c = ids.get(row.paper_id)!;
      expect(c.title).not.toBe("Outside the window");
      expect(row.trend, c.title).toBeCloseTo(trendOf({ now: NOW, ...c }), 9);
    }
  });
});
