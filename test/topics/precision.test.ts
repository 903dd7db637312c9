// Precision at 5 per topic on the shared corpus, against labels a person gave each paper by reading it
// (test/fixtures/topic-labels.json). A subscriber to one topic should find nearly every paper on that topic.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestPath } from "../../src/corpus/ingest.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { TOPICS } from "../../src/topics/catalog.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { SHARED_CORPUS_DIR, sharedCorpusPresent } from "../support/corpus.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const LABELS = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "..", "fixtures", "topic-labels.json"), "utf8")) as {
  papers: { rank: number; key: string; topics: string[] }[];
};
const DAYS = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"];
/** The bar: every topic's first email at least this precise (P@5)... */
const BAR = 0.9;
/** ...and its first four emails together at least this (small topics run out of papers: then no email, not a bad one). */
const FOUR_EMAIL_FLOOR = 0.8;

describe.skipIf(!sharedCorpusPresent)("topic precision at 5 on the shared corpus", () => {
  let database: TestDatabase;
  const table: { topic: string; firstEmail: number; fourEmails: number; labelled: number }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const { db } = database;
    await syncTopics(db);
    await ingestPath(db, SHARED_CORPUS_DIR, () => new Date("2026-01-05T00:00:00Z"));
    const topics = await db.topic.findMany();
    for (const topic of topics) {
      await db.subscriber.create({
        data: { email: `${topic.slug}@precision.test`, status: "active", maxPapers: 5, topics: { create: [{ topicId: topic.id }] } },
      });
    }
    for (const day of DAYS) await planAllDigests(db, { now: new Date(`${day}T12:00:00Z`), date: day });
    const labels = new Map(LABELS.papers.map((p) => [p.key, p.topics]));
    for (const topic of TOPICS) {
      const items = await db.digestItem.findMany({
        where: { subscriber: { email: `${topic.slug}@precision.test` } },
        orderBy: [{ digest: { localDate: "asc" } }, { position: "asc" }],
        include: { paper: { select: { key: true } } },
      });
      const relevant = items.map((i) => labels.get(i.paper.key)?.includes(topic.slug) ?? false);
      const precision = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);
      table.push({
        topic: topic.slug,
        firstEmail: precision(relevant.slice(0, 5)),
        fourEmails: precision(relevant.slice(0, 20)),
        labelled: LABELS.papers.filter((p) => p.topics.includes(topic.slug)).length,
      });
    }
    console.log(
      ["| topic | P@5 first email | P@5 over 4 emails | papers labelled |", "| --- | --- | --- | --- |", ...table.map((r) => `| ${r.topic} | ${r.firstEmail.toFixed(2)} | ${r.fourEmails.toFixed(2)} | ${r.labelled} |`)].join("\n"),
    );
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
  });

  it("labels every paper of the corpus", () => {
    expect(LABELS.papers).toHaveLength(268);
  });

  for (const topic of TOPICS) {
    it(`${topic.slug}: precision at 5 of the first email ≥ ${BAR}, of the first four emails ≥ ${FOUR_EMAIL_FLOOR}`, () => {
      const row = table.find((r) => r.topic === topic.slug)!;
      expect(row.firstEmail).toBeGreaterThanOrEqual(BAR);
      expect(row.fourEmails).toBeGreaterThanOrEqual(FOUR_EMAIL_FLOOR);
    });
  }
});
