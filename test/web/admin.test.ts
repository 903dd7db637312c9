// The operator dashboard over a database with thirty days of history, in a real browser at 1280 px: every chart
// drawn, with the figures of that history; the suppression list and an audited removal.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { chromiumPath, launchBrowser } from "../support/browser.ts";
import { seedHistory, type SeededHistory } from "../support/history.ts";
import { captureLog } from "../support/log-capture.ts";
import { startTestService, type TestService } from "../support/service.ts";

const USER = "ops";
const PASSWORD = "correct-horse-battery-staple";
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
const ARTIFACTS = path.join(PROJECT_ROOT, "test", "artifacts");

let service: TestService;
let history: SeededHistory;
const { lines, log } = captureLog("info");
beforeAll(async () => {
  service = await startTestService({ ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD }, { log });
  service.clock.now = new Date("2026-11-24T15:00:00Z");
  history = await seedHistory(service.database.db, service.clock.now);
}, 60_000);
afterAll(async () => {
  await service?.close();
});

describe("/admin access", () => {
  it("asks for the operator's password and refuses wrong ones; the page is private", async () => {
    const none = await fetch(`${service.baseUrl}/admin`, { headers: { "x-request-id": "admin-401" } });
    expect(none.status).toBe(401);
    // The request line names the path asked for (middleware mounted at /admin sees only what follows it).
    expect(lines.find((l) => l.reqId === "admin-401")).toMatchObject({ msg: "GET /admin 401" });
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm="Trending Papers Digest operations"/);
    const wrong = await fetch(`${service.baseUrl}/admin`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:guess`).toString("base64")}` } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${service.baseUrl}/admin`, { headers: { authorization: AUTH } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    expect(ok.headers.get("x-robots-tag")).toBe("noindex, nofollow");
  });

  it("slows password guessing: after 20 failed logins from one address, 429 for that address only", async () => {
    const from = (ip: string, authorization?: string) => fetch(`${service.baseUrl}/admin`, { headers: { "x-forwarded-for": ip, ...(authorization ? { authorization } : {}) } });
    const guess = `Basic ${Buffer.from(`${USER}:wrong`).toString("base64")}`;
    for (let i = 0; i < 20; i++) expect((await from("203.0.113.9", guess)).status).toBe(401);
    expect((await from("203.0.113.9", guess)).status).toBe(429);
    expect((await from("203.0.113.9", AUTH)).status).toBe(429);
    expect((await from("198.51.100.4", AUTH)).status).toBe(200);
  });

  it("answers 400 naming the field for a search with a control character (PostgreSQL refuses NUL: it was a 500)", async () => {
    const res = await fetch(`${service.baseUrl}/admin?q=a%00b`, { headers: { authorization: AUTH } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("The search must be one line of text.");
  });

  it("does not exist unless ADMIN_PASSWORD is set", async () => {
    const plain = await startTestService();
    try {
      expect((await fetch(`${plain.baseUrl}/admin`, { headers: { authorization: AUTH } })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe.skipIf(!chromiumPath)("the dashboard in a real browser", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    browser = await launchBrowser();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("draws every chart at 1280 px with the figures of thirty days of history", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, httpCredentials: { username: USER, password: PASSWORD } });
    const page = await context.newPage();
    const response = await page.goto(`${service.baseUrl}/admin`);
    expect(response!.status()).toBe(200);
    await page.screenshot({ path: path.join(ARTIFACTS, "admin-dashboard-1280.png"), fullPage: true });

    // Drawn: every chart is laid out at a real size, and every mark in it too.
    for (const id of ["chart-subscribers", "chart-emails", "chart-confirmations", "chart-topics", "chart-keywords", "chart-papers"]) {
      const box = await page.locator(`#${id}`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width, id).toBeGreaterThan(500);
      expect(box!.height, id).toBeGreaterThan(50);
      const marks = await page.locator(`#${id} .mark`).evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(marks.length, id).toBeGreaterThan(0);
      for (const [w, h] of marks) expect(w! > 0 && h! > 0, `${id} mark ${w}×${h}`).toBe(true);
      await page.locator(`#${id}`).screenshot({ path: path.join(ARTIFACTS, `admin-${id}-1280.png`) });
    }

    // Subscribers by state: 90 days, the last 30 of them with history.
    const figure = (id: string, series: string, day: string) => page.locator(`#${id} .mark[data-series="${series}"][data-day="${day}"]`).getAttribute("data-value");
    expect(await page.locator("#chart-subscribers .mark").count()).toBe(90 * 5);
    for (const k of [0, 1, 12, 15, 16, 22, 29]) {
      const expected = history.subscribersOn(k);
      for (const [state, value] of Object.entries(expected)) expect(await figure("chart-subscribers", state, history.days[k]!), `${state} on day ${k}`).toBe(String(value));
    }
    const before = new Date(Date.parse(history.days[0]!) - 86400_000).toISOString().slice(0, 10);
    expect(await figure("chart-subscribers", "active", before)).toBe("0");

    // Emails, confirmations and papers per day: one bar segment for every non-zero figure, with that figure.
    const bars = async (id: string) =>
      page.locator(`#${id} rect.mark`).evaluateAll((els) => els.map((e) => `${e.getAttribute("data-day")} ${e.getAttribute("data-series")} ${e.getAttribute("data-value")}`));
    const expectedBars = (series: Record<string, number[]>) =>
      history.days.flatMap((day, k) => Object.entries(series).filter(([, values]) => values[k]! > 0).map(([name, values]) => `${day} ${name} ${values[k]}`));
    expect(await bars("chart-emails")).toEqual(expectedBars(history.emails));
    const { closed, expired, open } = history.confirmations;
    expect(await bars("chart-confirmations")).toEqual(expectedBars({ closed, expired, open }));
    expect(await bars("chart-papers")).toEqual(expectedBars({ papers: history.papers }));

    // Ranked topics and keywords; a keyword's markup is text, never markup.
    const ranked = (id: string) => page.locator(`#${id} rect.mark`).evaluateAll((els) => els.map((e) => ({ label: e.getAttribute("data-label"), value: Number(e.getAttribute("data-value")) })));
    expect(await ranked("chart-topics")).toEqual(history.topics);
    expect(await ranked("chart-keywords")).toEqual(history.keywords);
    expect(await page.locator("script:not([src])").count()).toBe(0);
    expect(await page.locator("#chart-keywords text", { hasText: "<script>alert(1)</script>" }).count()).toBe(1);

    // The figures of now: queue, last run, confirmations.
    const text = (name: string) => page.locator(`[data-figure="${name}"]`).textContent();
    expect(await text("queue-planned")).toBe(String(history.queue.planned));
    expect(await text("queue-sending")).toBe("0");
    await expect.poll(() => page.locator("#queue-now").textContent()).toContain(`oldest waiting ${history.queue.oldestMinutes} min`);
    expect(await text("run-result")).toBe(history.lastRun.result);
    expect(await text("run-duration")).toBe(history.lastRun.duration);
    expect([await text("run-total"), await text("run-sent"), await text("run-failed")]).toEqual([history.lastRun.total, history.lastRun.sent, history.lastRun.failed].map(String));
    expect(await text("confirmations-open")).toBe(String(history.confirmations.openNow));
    expect(await text("confirmations-closed")).toBe(String(history.confirmations.closedInRange));
    expect(await text("suppressions-total")).toMatch(new RegExp(`^${history.suppressed.length} address`));
    await context.close();
  }, 60_000);

  it("removes a suppressed address with its button, audited in the log without the address", async () => {
    const { db } = service.database;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, httpCredentials: { username: USER, password: PASSWORD } });
    const page = await context.newPage();
    await page.goto(`${service.baseUrl}/admin`);
    const bounced = history.suppressed.find((s) => s.reason === "bounced")!.email;
    await page.getByRole("button", { name: `Remove ${bounced} from the suppression list` }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toMatch(/removed from the suppression list/);
    expect(await page.locator(".suppressions td.address", { hasText: bounced }).count()).toBe(0);
    expect(await db.suppression.findUnique({ where: { email: bounced } })).toBeNull();
    // Mail resumes only after the reader opts in again.
    expect(await db.subscriber.findUniqueOrThrow({ where: { email: bounced } })).toMatchObject({ status: "unsubscribed" });

    const audit = lines.filter((l) => l.audit === "suppression.removed");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: USER, found: true, reason: "bounced", subscribersReopened: 1, addressSha256: expect.stringMatching(/^[0-9a-f]{16}$/), reqId: expect.any(String) });
    expect(JSON.stringify(lines)).not.toContain(bounced);
    await page.screenshot({ path: path.join(ARTIFACTS, "admin-suppressions-1280.png"), fullPage: true });

    // The search finds the rest; another site cannot post the form; a form without its token does nothing.
    await page.goto(`${service.baseUrl}/admin?q=spam-trap`);
    expect(await page.locator(".suppressions td.address").allTextContents()).toEqual(["spam-trap@example.net"]);
    const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${service.baseUrl}/admin/suppressions/remove`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/x-www-form-urlencoded", cookie: cookies, ...headers }, body, redirect: "manual" });
    const body = new URLSearchParams({ _csrf: token, email: "spam-trap@example.net" }).toString();
    expect((await post({ origin: "https://evil.example", "sec-fetch-site": "cross-site" }, body)).status).toBe(403);
    expect((await post({}, new URLSearchParams({ email: "spam-trap@example.net" }).toString())).status).toBe(403);
    expect(await db.suppression.findUnique({ where: { email: "spam-trap@example.net" } })).not.toBeNull();
    const own = await post({ origin: service.baseUrl, "sec-fetch-site": "same-origin" }, body);
    expect([own.status, own.headers.get("location")]).toEqual([303, "/admin?done=removed#suppressions"]);
    expect(await db.suppression.findUnique({ where: { email: "spam-trap@example.net" } })).toBeNull();
    expect(lines.filter((l) => l.audit === "suppression.removed").map((l) => l.reason)).toEqual(["bounced", "manual"]);
    await context.close();
  }, 60_000);
});
