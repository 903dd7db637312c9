// "More like this" / "Less like this": scanner-safe links, idempotent and undoable choices, and a profile that moves
// the reader's next digest (including a paper that matches no topic, with its reason).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAllDigests, prepareMatching } from "../../src/digest/plan.ts";
import { feedbackUrl } from "../../src/subscriptions/links.ts";
import { signFeedbackToken } from "../../src/subscriptions/tokens.ts";
import { addSubscriber, ingestPapers, itemsOf } from "../support/digest.ts";
import { csrfTokenIn, FormClient } from "../support/http.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";

let service: TestService;
const links = () => ({ publicBaseUrl: service.baseUrl, appSecret: TEST_SECRET });

const fashion = (n: number) => ({
  title: `Latent Diffusion for Garment Design ${n}: Generating Fabric Patterns and Clothing Silhouettes`,
  abstract: `Fashion designers sketch garments long before any fabric is cut. We train a latent diffusion model on tailored clothing photographs, fabric swatches and garment silhouettes, so that designers can generate new collections from a mood board (study ${n}). The denoising network is conditioned on fabric texture and seam layout. Designers preferred the generated garments to retrieval baselines in a blind study with fashion houses.`,
});
const surgery = (n: number) => ({
  title: `Surgical Video Diffusion ${n}: Synthesising Laparoscopic Procedures for Training Residents`,
  abstract: `Surgical residents need many hours of laparoscopic footage to learn each procedure. We propose a video diffusion model that synthesises realistic laparoscopic operating-room footage with controllable instrument motion (study ${n}). The denoising network is conditioned on the surgical phase. Attending surgeons rated the synthesised procedures as realistic, and residents trained on them improved on a simulator.`,
});
const garmentRecommender = {
  title: "Fabric-Aware Garment Recommendation for Fashion Retail",
  abstract:
    "Online fashion shoppers abandon carts when garments arrive in the wrong fabric or silhouette. We learn garment embeddings from clothing photographs, fabric composition and tailoring measurements, and rank garments for each shopper. On a large fashion retailer's catalogue the fabric-aware ranking raises the click rate, and fashion designers use the same garment embeddings to browse fabric patterns, clothing silhouettes and seam layouts.",
};

beforeAll(async () => {
  service = await startTestService();
  await ingestPapers(service.database.db, [fashion(1), surgery(1), fashion(2), surgery(2)], new Date("2026-03-01T00:00:00Z"));
});
afterAll(async () => {
  await service?.close();
});

describe("feedback links", () => {
  it("shows the choice on GET and records nothing (a mail scanner opening every link changes nothing)", async () => {
    const { db } = service.database;
    const reader = await addSubscriber(db, "scanner@example.com", { topics: ["diffusion"] });
    const paper = await db.paper.findFirstOrThrow();
    const page = await fetch(feedbackUrl(links(), reader.id, paper.id, "more"));
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain(paper.displayTitle);
    expect(html).toContain("More like this");
    expect(await db.feedback.count({ where: { subscriberId: reader.id } })).toBe(0);
  });

  it("records a choice by POST, idempotently; a second POST changes it; undo removes it", async () => {
    const { db } = service.database;
    const reader = await addSubscriber(db, "clicker@example.com", { topics: ["diffusion"] });
    await planAllDigests(db, { now: new Date("2026-03-01T12:00:00Z"), date: "2026-03-01" }); // the reader has an email
    const paper = await db.paper.findFirstOrThrow({ where: { title: { contains: "Garment Design 1" } } });
    const url = feedbackUrl(links(), reader.id, paper.id, "more");
    const browser = new FormClient(service.baseUrl);
    const path = new URL(url).pathname;
    for (let i = 0; i < 2; i++) {
      const done = await browser.submit(url, path, { choice: "more" });
      expect(done.status).toBe(303);
    }
    expect(await db.feedback.findMany({ where: { subscriberId: reader.id }, select: { paperId: true, value: true } })).toEqual([{ paperId: paper.id, value: 1 }]);
    expect(await db.readerProfileTerm.count({ where: { subscriberId: reader.id } })).toBeGreaterThan(0);
    const after = await browser.get(`${path}?done=more`);
    expect(after.html).toContain("Papers like this one will rise");
    expect(after.html).toContain("Undo my choice");

    await browser.submit(url, path, { choice: "less" });
    expect((await db.feedback.findFirstOrThrow({ where: { subscriberId: reader.id } })).value).toBe(-1);
    await browser.submit(url, path, { choice: "undo" });
    expect(await db.feedback.count({ where: { subscriberId: reader.id } })).toBe(0);
    expect(await db.readerProfileTerm.count({ where: { subscriberId: reader.id } })).toBe(0);
  });

  it("refuses a tampered or re-targeted token, a missing CSRF token and an unknown choice", async () => {
    const { db } = service.database;
    const reader = await addSubscriber(db, "tamper@example.com", { topics: ["diffusion"] });
    const [a, b] = await db.paper.findMany({ take: 2, orderBy: { id: "asc" } });
    const token = signFeedbackToken(TEST_SECRET, reader.id, a!.id);
    const [id, , mac] = token.split(".");
    const retargeted = `${id}.${b!.id.toString(36)}.${mac}`;
    expect((await fetch(`${service.baseUrl}/feedback/${retargeted}`)).status).toBe(400);
    expect((await fetch(`${service.baseUrl}/feedback/${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`)).status).toBe(400);
    const browser = new FormClient(service.baseUrl);
    const page = await browser.get(`/feedback/${token}`);
    expect((await browser.post(`/feedback/${token}`, { choice: "more" })).status).toBe(403);
    expect((await browser.post(`/feedback/${token}`, { _csrf: csrfTokenIn(page.html), choice: "love" })).status).toBe(400);
    expect(await db.feedback.count({ where: { subscriberId: reader.id } })).toBe(0);
  });
});

describe("feedback changes the next digest", () => {
  it("lifts papers like the liked one (even one matching no topic, saying why) and sinks papers like the disliked one", async () => {
    const { db } = service.database;
    const giver = await addSubscriber(db, "giver@example.com", { topics: ["diffusion"], maxPapers: 4 });
    const control = await addSubscriber(db, "control@example.com", { topics: ["diffusion"], maxPapers: 4 });
    await planAllDigests(db, { now: new Date("2026-03-02T12:00:00Z"), date: "2026-03-02" });
    const first = await itemsOf(db, { subscriberId: giver.id });
    expect(first).toHaveLength(4);

    const browser = new FormClient(service.baseUrl);
    const vote = async (titlePart: string, choice: "more" | "less") => {
      const paper = first.find((i) => i.paper.title.includes(titlePart))!.paper;
      const url = feedbackUrl(links(), giver.id, paper.id, choice);
      await browser.submit(url, new URL(url).pathname, { choice });
    };
    await vote("Garment Design 1", "more");
    await vote("Garment Design 2", "more");
    await vote("Surgical Video Diffusion 1", "less");
    await vote("Surgical Video Diffusion 2", "less");

    // Newer papers: the surgical one is fresher (first on its page), the recommender matches no topic at all.
    await ingestPapers(db, [surgery(3), fashion(3), garmentRecommender], new Date("2026-03-03T00:00:00Z"));
    await planAllDigests(db, { now: new Date("2026-03-03T12:00:00Z"), date: "2026-03-03" });
    const next = (id: string) =>
      itemsOf(db, { subscriberId: id, localDate: new Date("2026-03-03") });

    const withoutFeedback = (await next(control.id)).map((i) => i.paper.title);
    expect(withoutFeedback[0]).toContain("Surgical Video Diffusion 3");
    expect(withoutFeedback.some((t) => t.includes("Garment Recommendation"))).toBe(false);

    const withFeedback = await next(giver.id);
    const titles = withFeedback.map((i) => i.paper.title);
    expect(titles[0]).toContain("Garment Design 3");
    // The paper like the disliked ones sinks below the liked kind, or out of the email.
    const surgical = titles.findIndex((t) => t.includes("Surgical Video Diffusion 3"));
    expect(surgical === -1 || surgical > titles.findIndex((t) => t.includes("Garment Design 3"))).toBe(true);
    const recommended = withFeedback.find((i) => i.paper.title.includes("Garment Recommendation"));
    expect(recommended, "a paper close to the liked ones enters on that basis alone").toBeDefined();
    expect(recommended!.matchedTopics).toEqual([]);
    expect(recommended!.reasons).toHaveLength(1);
    expect(recommended!.reasons[0]).toMatch(/^liked\u001fLatent Diffusion for Garment Design [12]/);
  });
});

describe("a rebuilt index (new vocabulary or scoring model)", () => {
  it("re-derives every reader's profile from their feedback and leaves the profiles analysed for the planner", async () => {
    const { db } = service.database;
    const profiles = () => db.$queryRaw<{ subscriberId: string; term: string; weight: number }[]>`
      SELECT subscriber_id::text AS "subscriberId", term, weight FROM reader_profile_terms ORDER BY subscriber_id, term`;
    const before = await profiles();
    expect(before.length).toBeGreaterThan(0);
    await db.$executeRaw`DELETE FROM pg_statistic WHERE starelid = 'reader_profile_terms'::regclass`;
    await db.matchingState.update({ where: { id: 1 }, data: { vocabularyVersion: "an older vocabulary" } });

    await prepareMatching(db);
    const after = await profiles();
    expect(after.map((p) => [p.subscriberId, p.term])).toEqual(before.map((p) => [p.subscriberId, p.term]));
    // The same terms on the same side (weights move a little: term statistics restart with the rebuild).
    after.forEach((p, i) => expect(Math.sign(p.weight)).toBe(Math.sign(before[i]!.weight)));
    // Without statistics of the new rows the planner read the whole table for every batch's readers.
    const [stats] = await db.$queryRaw<{ columns: number }[]>`SELECT count(*)::int AS columns FROM pg_stats WHERE tablename = 'reader_profile_terms'`;
    expect(stats!.columns).toBeGreaterThan(0);
  });
});
