import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestPath } from "../../src/corpus/ingest.ts";
import { refreshMatching } from "../../src/topics/paper-index.ts";
import { SAMPLE_CORPUS_DIR } from "../support/corpus.ts";
import { startTestService, type TestService } from "../support/service.ts";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
  await ingestPath(service.database.db, SAMPLE_CORPUS_DIR);
  await refreshMatching(service.database.db);
});
afterAll(async () => {
  await service?.close();
});

describe("the papers pages", () => {
  it("lists papers in trending order with clean titles, first sentences and code links", async () => {
    const res = await fetch(`${service.baseUrl}/papers`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const papers = await service.database.db.paper.findMany({ orderBy: { rank: "asc" } });
    const positions = papers.map((p) => html.indexOf(`/papers/${p.id}"`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(html).not.toContain("\\textbf");
    const withCode = papers.find((p) => p.codeUrl)!;
    expect(html).toContain(`href="${withCode.codeUrl}"`);
  });

  it("shows one paper with its full abstract and links", async () => {
    const paper = (await service.database.db.paper.findFirst({ where: { codeUrl: { not: null } } }))!;
    const html = await (await fetch(`${service.baseUrl}/papers/${paper.id}`)).text();
    expect(html).toContain(paper.abstract.slice(-60).replace(/&/g, "&amp;").replace(/'/g, "&#x27;").replace(/"/g, "&quot;"));
  });

  it("answers 404 for a paper that does not exist and for a malformed id", async () => {
    expect((await fetch(`${service.baseUrl}/papers/999999`)).status).toBe(404);
    expect((await fetch(`${service.baseUrl}/papers/abc`)).status).toBe(404);
    expect((await fetch(`${service.baseUrl}/papers?page=-1`)).status).toBe(400);
  });

  it("serves a paper only at its canonical decimal id", async () => {
    const paper = (await service.database.db.paper.findFirst({ orderBy: { id: "asc" } }))!;
    expect((await fetch(`${service.baseUrl}/papers/${paper.id}`)).status).toBe(200);
    for (const spelling of [`${paper.id}.0`, `0x${paper.id.toString(16)}`, `+${paper.id}`, `0${paper.id}`, `${paper.id}e0`, `%20${paper.id}`, `${paper.id}%20`, `${paper.id}.`]) {
      expect((await fetch(`${service.baseUrl}/papers/${spelling}`)).status, spelling).toBe(404);
    }
    for (const page of ["1.0", "0x1", "+1", "1e0", "01"]) {
      expect((await fetch(`${service.baseUrl}/papers?page=${page}`)).status, page).toBe(400);
    }
    expect((await fetch(`${service.baseUrl}/papers?page=1`)).status).toBe(200);
  });

  it("answers a page past the end with 404 and a link back to the last page, and shows no operator text", async () => {
    const total = await service.database.db.paper.count();
    const lastPage = Math.max(1, Math.ceil(total / 50));
    const res = await fetch(`${service.baseUrl}/papers?page=50`);
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain(lastPage > 1 ? `href="/papers?page=${lastPage}"` : `href="/papers"`);
    expect(html).toContain("Go to the last page");
    expect(html).not.toMatch(/npm run|cli --|ingest/);
    expect(html).not.toContain(`${total} papers`);
    expect(html).not.toContain("No papers yet");
  });

  it("says so plainly when there are no papers at all, without operator commands", async () => {
    const empty = await startTestService();
    try {
      const res = await fetch(`${empty.baseUrl}/papers`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain("No papers yet");
      expect(html).not.toMatch(/npm run|cli --|ingest/);
    } finally {
      await empty.close();
    }
  });

  it("searches the full text, best match first, and keeps the search in the page links", async () => {
    const res = await fetch(`${service.baseUrl}/papers?q=${encodeURIComponent("backtracking tokens")}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const hits = [...html.matchAll(/<h2><a href="\/papers\/(\d+)">/g)].map((m) => Number(m[1]));
    expect(hits.length).toBeGreaterThan(0);
    const looptrace = (await service.database.db.paper.findFirst({ where: { displayTitle: { startsWith: "LoopTrace" } } }))!;
    expect(hits[0]).toBe(looptrace.id);
    expect(hits.length).toBeLessThan(await service.database.db.paper.count());
    expect(html).toContain('value="backtracking tokens"');
    expect(html).toMatch(/\d+ papers? matching “backtracking tokens”/);
  });

  it("filters by topic, links the topic's feed and offers to subscribe to it", async () => {
    const { db } = service.database;
    const inTopic = await db.topicPaper.findMany({ where: { topic: { slug: "reasoning" } }, select: { paperId: true } });
    expect(inTopic.length).toBeGreaterThan(0);
    const html = (await (await fetch(`${service.baseUrl}/papers?topic=reasoning`)).text()).replace(/&#x3D;/g, "=");
    const shown = [...html.matchAll(/<h2><a href="\/papers\/(\d+)">/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(shown).toEqual(inTopic.map((t) => t.paperId).sort((a, b) => a - b));
    expect(html).toContain('href="/?topics=reasoning"');
    expect(html).toContain('href="/topics/reasoning/feed.xml"');
    expect(html).toContain('<link rel="alternate" type="application/atom+xml"');
    expect(html).toMatch(/<option value="reasoning" selected>/);
    // The subscribe link ticks that topic on the form.
    const form = await (await fetch(`${service.baseUrl}/?topics=reasoning&topics=<nope>`)).text();
    expect(form).toMatch(/value="reasoning" checked/);
    expect(form.match(/type="checkbox"[^>]* checked/g)).toHaveLength(1);
    // Searching inside a topic narrows both ways.
    const both = await (await fetch(`${service.baseUrl}/papers?topic=reasoning&q=${encodeURIComponent("backtracking")}`)).text();
    expect([...both.matchAll(/<h2><a href="\/papers\/(\d+)">/g)].every((m) => shown.includes(Number(m[1])))).toBe(true);
  });

  it("invites every visitor to subscribe", async () => {
    const html = await (await fetch(`${service.baseUrl}/papers`)).text();
    expect(html).toMatch(/<a class="button" href="\/">Subscribe<\/a>/);
  });

  it("answers 400 naming the field for a malformed search, topic or page", async () => {
    for (const [query, field] of [["topic=no-such-topic", "topic"], ["q=a&q=b", "q"], ["q=%00x", "q"], [`q=${"x".repeat(201)}`, "q"], ["page=0", "page"], ["topic=a&topic=b", "topic"]] as const) {
      const res = await fetch(`${service.baseUrl}/papers?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.text(), query).toContain(field);
    }
  });

  it("reports liveness at /healthz and readiness, with the database, at /readyz", async () => {
    const res = await fetch(`${service.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${service.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", database: "ok" });
  });
});
