import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestPath } from "../../src/corpus/ingest.ts";
import { searchPapers } from "../../src/corpus/papers.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { SAMPLE_CORPUS_DIR, SHARED_CORPUS_DIR, sharedCorpusPresent } from "../support/corpus.ts";

let database: TestDatabase;
let scratch: string;
beforeAll(async () => {
  database = await createTestDatabase();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-ingest-"));
});
afterAll(async () => {
  await database?.drop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const HEADER = "Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\n";
const abstract = (topic: string, extra = "") =>
  `We study ${topic} in depth and propose a new method for it. Experiments on several benchmarks show clear gains over strong baselines, and we release our code and data so that others can build on it.${extra}`;
function writePage(name: string, papers: [string, string][]) {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, HEADER + papers.map(([t, a], i) => `${i === 0 ? "Subscribe" : ""}${t}\n${a}`).join("\n") + "\n");
  return file;
}

describe.skipIf(!sharedCorpusPresent)("ingesting the shared corpus", () => {
  it("adds 268 papers, then nothing on the second run", async () => {
    const first = await ingestPath(database.db, SHARED_CORPUS_DIR);
    expect(first).toMatchObject({ papers: 268, added: 268, updated: 0, unchanged: 0, warnings: [] });
    const second = await ingestPath(database.db, SHARED_CORPUS_DIR);
    expect(second).toMatchObject({ papers: 268, added: 0, updated: 0, unchanged: 268 });
    expect(await database.db.paper.count({ where: { sourceFile: "000_71b88eeb387be530.txt" } })).toBe(268);
  });

  it("finds the continual-learning papers first for 'continual learning'", async () => {
    const hits = await searchPapers(database.db, "continual learning", 10);
    expect(hits).toHaveLength(10);
    const abstracts = await database.db.paper.findMany({ where: { id: { in: hits.map((h) => h.id) } }, select: { abstract: true, displayTitle: true } });
    for (const paper of abstracts) expect(`${paper.displayTitle} ${paper.abstract}`).toMatch(/continual(ly)?\s+(learn|pre-?train)|lifelong/i);
  });

  it("maintains the search vector in the database with title weighted above abstract", async () => {
    const [row] = await database.db.$queryRaw<{ vector: string }[]>`SELECT search_vector::text AS vector FROM papers WHERE rank = 1 AND source_file = '000_71b88eeb387be530.txt'`;
    expect(row!.vector).toMatch(/'trackssm':1A/);
    expect(row!.vector).toMatch(/:\d+B/);
  });
});

describe("re-ingesting and overlapping files", () => {
  it("adds no duplicates from an overlapping page and updates a changed abstract", async () => {
    const a = writePage("a.txt", [
      ["Overlap Paper One", abstract("topic one")],
      ["Overlap Paper Two", abstract("topic two")],
    ]);
    const b = writePage("b.txt", [
      ["Overlap Paper Three", abstract("topic three")],
      ["Overlap Paper One", abstract("topic one")],
      ["Overlap Paper Two", abstract("topic two", " Now with a revised abstract.")],
    ]);
    expect(await ingestPath(database.db, a)).toMatchObject({ added: 2, updated: 0, unchanged: 0 });
    expect(await ingestPath(database.db, b)).toMatchObject({ added: 1, updated: 1, unchanged: 1 });
    const papers = await database.db.paper.findMany({ where: { displayTitle: { startsWith: "Overlap" } }, orderBy: { displayTitle: "asc" } });
    expect(papers.map((p) => p.displayTitle)).toEqual(["Overlap Paper One", "Overlap Paper Three", "Overlap Paper Two"]);
    expect(papers.find((p) => p.displayTitle === "Overlap Paper Two")!.abstract).toContain("revised abstract");
    // Rank follows the newest page the paper was seen on; first-seen time stays.
    const one = papers.find((p) => p.displayTitle === "Overlap Paper One")!;
    expect(one.rank).toBe(2);
    expect(one.firstSeenAt.getTime()).toBeLessThan(one.lastSeenAt.getTime());
  });

  it("keeps going past a malformed file and reports its warnings with file and line", async () => {
    const dir = fs.mkdtempSync(path.join(scratch, "mixed-"));
    fs.writeFileSync(path.join(dir, "1-binary.txt"), Buffer.from([0, 1, 2, 255, 254]));
    fs.writeFileSync(path.join(dir, "2-empty.txt"), "");
    fs.writeFileSync(path.join(dir, "3-good.txt"), `${HEADER}SubscribeMixed Good Paper\n${abstract("good")}\nMixed Orphan Title\n`);
    const report = await ingestPath(database.db, dir);
    expect(report).toMatchObject({ files: 3, papers: 1, added: 1 });
    expect(report.warnings.map((w) => `${path.basename(w.file)}:${w.line}`)).toEqual(["1-binary.txt:1", "2-empty.txt:1", "3-good.txt:5"]);
  });
});

describe("the sample corpus", () => {
  it("has a dozen or more well-formed papers", async () => {
    const report = await ingestPath(database.db, SAMPLE_CORPUS_DIR);
    expect(report.papers).toBeGreaterThanOrEqual(12);
    expect(report.warnings).toEqual([]);
  });
});
