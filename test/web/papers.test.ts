import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestPath } from "../../src/corpus/ingest.ts";
import { SAMPLE_CORPUS_DIR } from "../support/corpus.ts";
import { startTestService, type TestService } from "../support/service.ts";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
  await ingestPath(service.database.db, SAMPLE_CORPUS_DIR);
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

  it("reports liveness at /healthz and readiness, with the database, at /readyz", async () => {
    const res = await fetch(`${service.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${service.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", database: "ok" });
  });
});
