// Source runs end to end against a local fixture server and a real database: what lands in papers, signals and
// source_runs, and how a failing source stops only itself.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { paperKey } from "../../src/corpus/text.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { runSource } from "../../src/sources/run.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addSubscriber, itemsOf } from "../support/digest.ts";
import { type FixtureReply, type FixtureServer, startFixtureServer } from "../support/fixture-server.ts";
import { sourceDeps, sourcesConfig } from "../support/sources.ts";
import { atomFeed, hfJson, paperAbout, readFixture } from "../support/upstream.ts";

let database: TestDatabase;
let upstream: FixtureServer;
let corpusDir: string;
const clock = { now: new Date("2026-11-24T12:00:00Z") };
const HF_FIXTURE = readFixture("hf-daily-papers.json");
const ATOM_FIXTURE = readFixture("arxiv-query.atom");

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  upstream = await startFixtureServer();
  corpusDir = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-sources-"));
});
afterAll(async () => {
  await upstream?.close();
  await database?.drop();
  fs.rmSync(corpusDir, { recursive: true, force: true });
});
beforeEach(async () => {
  const { db } = database;
  await db.digest.deleteMany();
  await db.subscriber.deleteMany();
  await db.paper.deleteMany();
  await db.sourceRun.deleteMany();
  await db.httpValidator.deleteMany();
  upstream.requests.length = 0;
  clock.now = new Date("2026-11-24T12:00:00Z");
  for (const f of fs.readdirSync(corpusDir)) fs.rmSync(path.join(corpusDir, f));
});

const deps = (env: Record<string, string> = {}) => sourceDeps(database, sourcesConfig(upstream.url, { CORPUS_DIR: corpusDir, ...env }), clock);
/** Serves the daily papers per date from `days` (an empty list for other dates) and `atom` for every arXiv query. */
function serve(days: Record<string, string>, atom = atomFeed([])) {
  upstream.handle((req): FixtureReply => {
    if (req.path === "/api/daily_papers") {
      const body = days[req.query.get("date") ?? ""] ?? "[]";
      const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
      if (req.headers["if-none-match"] === etag) return { status: 304 };
      return { body, headers: { "content-type": "application/json", etag } };
    }
    if (req.path === "/api/query") return { body: atom, headers: { "content-type": "application/atom+xml" } };
    return { status: 404 };
  });
}
const runs = () => database.db.sourceRun.findMany({ orderBy: { id: "asc" } });

describe("a normal day", () => {
  it("stores Hugging Face's papers with authors, links, dates and counts, records signals and the run", async () => {
    serve({ "2026-11-24": HF_FIXTURE });
    const outcome = await runSource(deps(), "huggingface");
    expect(outcome).toMatchObject({ status: "ok", added: 3, updated: 0, signals: 3, warnings: [] });
    // Today and yesterday (HF_DAYS=2), each once.
    expect(upstream.requests.map((r) => r.query.get("date"))).toEqual(["2026-11-24", "2026-11-23"]);
    const paper = await database.db.paper.findUniqueOrThrow({ where: { arxivId: "2611.04012" } });
    expect(paper).toMatchObject({
      key: "arxiv:2611.04012",
      displayTitle: "Rehearsal-Free Continual Learning with Drifting Prototypes",
      authors: ["Mira Okafor", "Tomasz Lindqvist", "Priya Raghunathan", "Jun Watanabe"],
      publishedAt: new Date("2026-11-20T17:42:11.000Z"),
      firstSeenAt: new Date("2026-11-24T06:12:00.000Z"), // listed on the daily page before we looked
      codeUrl: "https://github.com/example-lab/drift-proto",
      projectUrl: "https://example-lab.github.io/drift-proto",
      hfUrl: `${upstream.url}/papers/2611.04012`,
      upvotes: 142,
      comments: 9,
      seenBy: ["huggingface"],
      sourceFile: "huggingface 2026-11-24",
    });
    const [run] = await runs();
    expect(run).toMatchObject({ source: "huggingface", status: "ok", added: 3, updated: 0, signals: 3, error: null, detail: "daily papers 2026-11-24, 2026-11-23" });
    expect(run!.finishedAt!.getTime()).toBeGreaterThanOrEqual(run!.startedAt.getTime());
  });

  it("stores arXiv's newest submissions, paging politely, and asks only once per announcement cycle", async () => {
    const papers = Array.from({ length: 5 }, (_, i) => paperAbout(`2611.0500${i}`, `Arxiv Fixture Paper ${i}`, "continual learning"));
    upstream.handle((req) => {
      const start = Number(req.query.get("start"));
      const size = Number(req.query.get("max_results"));
      return { body: atomFeed(papers.slice(start, start + size), { totalResults: papers.length, start }) };
    });
    const d = deps({ ARXIV_PAGE_SIZE: "2", ARXIV_MAX_RESULTS: "10" });
    const progress: string[] = [];
    const outcome = await runSource(d, "arxiv", { onProgress: (done, total, label) => progress.push(`${done}/${total} ${label}`) });
    expect(outcome).toMatchObject({ status: "ok", added: 5, signals: 0 });
    expect(progress).toEqual(["1/3 page 1", "2/3 page 2", "3/3 page 3"]);
    expect(upstream.requests.map((r) => [r.query.get("search_query"), r.query.get("sortBy"), r.query.get("start"), r.query.get("max_results")])).toEqual([
      ["(cat:cs.LG OR cat:cs.CL)", "submittedDate", "0", "2"],
      ["(cat:cs.LG OR cat:cs.CL)", "submittedDate", "2", "2"],
      ["(cat:cs.LG OR cat:cs.CL)", "submittedDate", "4", "2"],
    ]);
    expect(upstream.requests[0]!.headers["user-agent"]).toMatch(/^TrendingPapersDigest\/0\.1 \(\+http:\/\/localhost:3000; mailto:ops@digest\.example\.org\)$/);

    // Later the same day: nothing new is announced before 20:00 New York time, so no request at all.
    clock.now = new Date("2026-11-24T18:00:00Z");
    expect(await runSource(d, "arxiv")).toMatchObject({ status: "skipped" });
    expect(upstream.requests).toHaveLength(3);
    // After the next announcement (Tuesday 20:00 EST = Wednesday 01:00 UTC) it fetches again.
    clock.now = new Date("2026-11-25T02:00:00Z");
    expect(await runSource(d, "arxiv")).toMatchObject({ status: "ok", added: 0, unchanged: 5 });
    expect((await runs()).map((r) => r.status)).toEqual(["ok", "skipped", "ok"]);
  });

  it("keeps working from the saved-pages folder as before, recording its runs", async () => {
    fs.writeFileSync(path.join(corpusDir, "001.txt"), `Get trending papers in your email inbox!\nSubscribeA Saved Page Paper About Agents\n${paperAbout("x", "x", "LLM agent tool use").summary}\nA Title Without Abstract\n`);
    const outcome = await runSource(deps(), "folder");
    expect(outcome).toMatchObject({ status: "ok", added: 1 });
    expect(outcome.warnings).toEqual([expect.stringMatching(/001\.txt:4: title with no abstract/)]);
    expect(await runSource(deps(), "folder")).toMatchObject({ status: "ok", added: 0, unchanged: 1 });
    const paper = await database.db.paper.findFirstOrThrow();
    expect(paper).toMatchObject({ key: paperKey("A Saved Page Paper About Agents"), arxivId: null, seenBy: ["folder"], sourceFile: "001.txt" });
    expect((await runs()).map((r) => [r.source, r.status, r.added, r.warnings])).toEqual([
      ["folder", "ok", 1, 1],
      ["folder", "ok", 0, 1],
    ]);
  });

  it("records a day with no papers as a successful run that added nothing", async () => {
    serve({});
    expect(await runSource(deps(), "huggingface")).toMatchObject({ status: "ok", added: 0, signals: 0 });
    expect(await runSource(deps(), "arxiv")).toMatchObject({ status: "ok", added: 0 });
    expect((await runs()).map((r) => [r.source, r.status, r.added])).toEqual([
      ["huggingface", "ok", 0],
      ["arxiv", "ok", 0],
    ]);
  });
});

describe("one paper, many sources", () => {
  it("keeps a paper from a saved page, Hugging Face and arXiv in one row with every link; later sources never blank a field", async () => {
    const title = "Rehearsal-Free Continual Learning with Drifting Prototypes";
    const page = `Get trending papers in your email inbox!\nSubscribe${title}\nA short abstract a page saved about rehearsal-free continual learning and prototypes, which is long enough to read as one.\n`;
    fs.writeFileSync(path.join(corpusDir, "001.txt"), page);
    await runSource(deps(), "folder");
    const saved = await database.db.paper.findFirstOrThrow();
    expect(saved.key).toBe(paperKey(title));

    serve({ "2026-11-24": HF_FIXTURE }, ATOM_FIXTURE);
    expect(await runSource(deps(), "huggingface")).toMatchObject({ status: "ok", added: 2, updated: 1 });
    // arXiv's record of it says what Hugging Face said: nothing to update (it becomes the text's source, though).
    expect(await runSource(deps(), "arxiv")).toMatchObject({ status: "ok", added: 1, updated: 0, unchanged: 1 });
    // The folder again, and Hugging Face again an hour later with more upvotes: nothing blanked, no second row.
    await runSource(deps(), "folder");
    clock.now = new Date("2026-11-24T13:00:00Z");
    serve({ "2026-11-24": HF_FIXTURE.replace('"upvotes": 142', '"upvotes": 150') }, ATOM_FIXTURE);
    await runSource(deps(), "huggingface");

    const rows = await database.db.paper.findMany({ where: { OR: [{ titleKey: paperKey(title) }, { arxivId: "2611.04012" }] } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: saved.id,
      key: saved.key, // the row keeps its name; the precision labels find saved-page papers by it
      arxivId: "2611.04012",
      authors: ["Mira Okafor", "Tomasz Lindqvist", "Priya Raghunathan", "Jun Watanabe"],
      publishedAt: new Date("2026-11-20T17:42:11.000Z"),
      codeUrl: "https://github.com/example-lab/drift-proto",
      projectUrl: "https://example-lab.github.io/drift-proto",
      hfUrl: `${upstream.url}/papers/2611.04012`,
      upvotes: 150,
      seenBy: ["folder", "huggingface", "arxiv"],
      metadataSource: "arxiv",
      firstSeenAt: new Date("2026-11-24T06:12:00.000Z"), // on Hugging Face's list before the page was saved
    });
    expect(rows[0]!.abstract).toMatch(/^Continual learning systems forget earlier tasks/);
    expect(await database.db.paper.count()).toBe(4);
    expect(await database.db.paperSignal.count({ where: { paperId: saved.id } })).toBe(2);
  });
});

describe("a source that fails", () => {
  it("stops its own run with one error naming the renamed field, stores nothing from that answer, and leaves other sources alone", async () => {
    const renamed = HF_FIXTURE.replace(/"upvotes":/g, '"upvoteCount":');
    serve({ "2026-11-24": renamed }, ATOM_FIXTURE);
    const hf = await runSource(deps(), "huggingface");
    expect(hf.status).toBe("failed");
    expect(hf.error).toMatch(/^Hugging Face daily papers 2026-11-24: field "paper\.upvotes" is missing or invalid in 3 of 3 items/);
    expect(await runSource(deps(), "arxiv")).toMatchObject({ status: "ok", added: 2 });
    expect((await runs()).map((r) => [r.source, r.status, r.error?.slice(0, 40) ?? null])).toEqual([
      ["huggingface", "failed", 'Hugging Face daily papers 2026-11-24: fi'],
      ["arxiv", "ok", null],
    ]);
    expect(await database.db.paper.count({ where: { hfUrl: { not: null } } })).toBe(0);
    // The failed answer's ETag was not kept: the next run asks unconditionally.
    expect(await database.db.httpValidator.count()).toBe(0);
    serve({ "2026-11-24": HF_FIXTURE });
    expect(await runSource(deps(), "huggingface")).toMatchObject({ status: "ok", added: 2, updated: 1 });
    expect(upstream.requests.filter((r) => r.path === "/api/daily_papers").every((r) => r.headers["if-none-match"] === undefined)).toBe(true);
  });

  it("asks Hugging Face conditionally: an unchanged list (304) records nothing new", async () => {
    serve({ "2026-11-24": HF_FIXTURE });
    expect(await runSource(deps(), "huggingface")).toMatchObject({ status: "ok", added: 3, signals: 3 });
    expect(await database.db.httpValidator.count()).toBe(2);
    clock.now = new Date("2026-11-24T13:00:00Z");
    const progress: string[] = [];
    expect(await runSource(deps(), "huggingface", { onProgress: (d, t, label) => progress.push(label) })).toMatchObject({ status: "ok", added: 0, updated: 0, signals: 0 });
    expect(progress).toEqual(["2026-11-24 (unchanged)", "2026-11-23 (unchanged)"]);
    expect(upstream.requests.slice(-2).map((r) => r.headers["if-none-match"])).toEqual([expect.stringMatching(/^"[0-9a-f]{16}"$/), expect.stringMatching(/^"[0-9a-f]{16}"$/)]);
  });

  it("records an upstream that keeps answering 500 as a failed run with the reason, and the next run retries", async () => {
    upstream.handle(() => ({ status: 500 }));
    const outcome = await runSource(deps(), "huggingface");
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toBe(`${upstream.url}/api/daily_papers?date=2026-11-24: HTTP 500 (gave up after 3 attempts)`);
    expect(upstream.requests).toHaveLength(3);
    serve({ "2026-11-24": HF_FIXTURE });
    expect(await runSource(deps(), "huggingface")).toMatchObject({ status: "ok", added: 3 });
  });

  it("fails on truncated JSON without storing part of it", async () => {
    serve({ "2026-11-24": HF_FIXTURE.slice(0, 900) });
    const outcome = await runSource(deps(), "huggingface");
    expect(outcome).toMatchObject({ status: "failed", added: 0 });
    expect(outcome.error).toMatch(/daily_papers\?date=2026-11-24: not valid JSON/);
    expect(await database.db.paper.count()).toBe(0);
  });

  it("fails on a huge response, and on an upstream that does not answer in time", async () => {
    upstream.handle(() => ({ endless: Buffer.alloc(64 * 1024, " ") }));
    expect((await runSource(deps({ SOURCES_MAX_RESPONSE_MB: "0.5" }), "huggingface")).error).toMatch(/response larger than the limit of 524288 bytes/);
    upstream.handle(() => ({ hang: true }));
    expect((await runSource(deps({ SOURCES_TIMEOUT_SECONDS: "0.2", SOURCES_RETRIES: "1" }), "arxiv")).error).toMatch(/no complete answer within 0\.2 s \(timeout\) \(gave up after 2 attempts\)/);
    expect((await runs()).map((r) => r.status)).toEqual(["failed", "failed"]);
  });
});

describe("signals", () => {
  it("records upvotes rising across fetches, and the planner ranks the rising paper first", async () => {
    const listed = "2026-11-24T06:00:00Z";
    const rising = paperAbout("2611.06001", "Rising Continual Learning Method", "continual learning", { listed, upvotes: 5 });
    const steady = paperAbout("2611.06002", "Steady Continual Learning Method", "continual learning", { listed, upvotes: 20 });
    serve({ "2026-11-24": hfJson([steady, rising]) });
    await runSource(deps(), "huggingface");
    const reader = await addSubscriber(database.db, "rising@example.com", { topics: ["continual-learning"], maxPapers: 2 });
    const order = async (day: string, now: Date) => {
      await planAllDigests(database.db, { now, date: day });
      const items = await itemsOf(database.db, { subscriberId: reader.id, localDate: new Date(day) });
      return items.map((i) => i.paper.arxivId);
    };
    expect(await order("2026-11-24", clock.now)).toEqual(["2611.06002", "2611.06001"]);

    clock.now = new Date("2026-11-24T15:00:00Z");
    serve({ "2026-11-24": hfJson([steady, { ...rising, upvotes: 90 }]) });
    await runSource(deps(), "huggingface");
    const signals = await database.db.paperSignal.findMany({ where: { paper: { arxivId: "2611.06001" } }, orderBy: { observedAt: "asc" } });
    expect(signals.map((s) => [s.observedAt.toISOString(), s.upvotes])).toEqual([
      ["2026-11-24T12:00:00.000Z", 5],
      ["2026-11-24T15:00:00.000Z", 90],
    ]);
    expect((await database.db.paper.findUniqueOrThrow({ where: { arxivId: "2611.06001" } })).upvotes).toBe(90);
    await database.db.digest.deleteMany();
    expect(await order("2026-11-25", clock.now)).toEqual(["2611.06001", "2611.06002"]);
  });
});

describe("several processes", () => {
  it("fetch a source once between them: the advisory lock turns the second away", async () => {
    upstream.handle((req) => ({ body: req.path === "/api/daily_papers" ? HF_FIXTURE : "", delayMs: 300 }));
    const [a, b] = await Promise.all([runSource(deps(), "huggingface"), runSource(deps(), "huggingface")]);
    expect([a.status, b.status].sort()).toEqual(["busy", "ok"]);
    expect(upstream.requests).toHaveLength(2); // today and yesterday, once
    expect(await runs()).toHaveLength(1);
  });

  it("closes a run a killed process left open", async () => {
    await database.db.sourceRun.create({ data: { source: "huggingface", startedAt: new Date("2026-11-24T11:00:00Z") } });
    serve({});
    await runSource(deps(), "huggingface");
    expect((await runs()).map((r) => [r.status, r.error])).toEqual([
      ["failed", "interrupted: the process ended during the run"],
      ["ok", null],
    ]);
  });
});
