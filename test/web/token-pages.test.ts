// Pages behind a link token: never cached, never leaking the token as a referrer, and links that expire as documented.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signSubscriberToken } from "../../src/subscriptions/tokens.ts";
import { subscriberLinks } from "../../src/subscriptions/links.ts";
import { abstractAbout, addSentDigest, addSubscriber } from "../support/digest.ts";
import { csrfTokenIn, FormClient } from "../support/http.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";
import { linkIn } from "../support/smtp-sink.ts";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

const DAY = 24 * 3600_000;
const links = (subscriberId: string, at?: Date) => subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: TEST_SECRET }, subscriberId, at);

async function digestFor(subscriberId: string) {
  const paper = await service.database.db.paper.create({
    data: { key: `k-${subscriberId}`, titleKey: `k-${subscriberId}`, title: "A paper", displayTitle: "A paper", abstract: abstractAbout("caching"), links: [], rank: 1, sourceFile: "t.txt" },
  });
  return addSentDigest(service.database.db, subscriberId, paper.id, ["math"]);
}

function expectPrivate(res: { status: number; headers: Headers }, what: string) {
  expect(res.headers.get("cache-control"), what).toMatch(/\bno-store\b/);
  expect(res.headers.get("referrer-policy"), what).toBe("no-referrer");
}

describe("pages behind a token", () => {
  it("are sent with Cache-Control: no-store and Referrer-Policy: no-referrer, also when the token is wrong", async () => {
    const subscriber = await addSubscriber(service.database.db, "private@example.com", { topics: ["math"] });
    const { manageUrl, unsubscribeUrl } = links(subscriber.id);
    const digest = await digestFor(subscriber.id);
    const digestPath = `/digests/${signSubscriberToken(TEST_SECRET, digest.id, "digest")}`;
    const browser = new FormClient(service.baseUrl);

    const manage = await browser.get(manageUrl);
    expect(manage.status).toBe(200);
    expectPrivate(manage, "GET manage");
    const managePath = new URL(manageUrl).pathname;
    const csrf = csrfTokenIn(manage.html);
    expectPrivate(await browser.post(managePath, { _csrf: csrf, topics: ["math"], sendHour: "9", maxPapers: "5" }), "POST manage");
    expectPrivate(await browser.post(`${managePath}/pause`, { _csrf: csrf }), "POST pause");
    expectPrivate(await browser.post(`${managePath}/resume`, { _csrf: csrf }), "POST resume");
    const digestPage = await browser.get(digestPath);
    expect(digestPage.status).toBe(200);
    expectPrivate(digestPage, "GET digest");
    const unsubscribePage = await browser.get(unsubscribeUrl);
    expect(unsubscribePage.status).toBe(200);
    expectPrivate(unsubscribePage, "GET unsubscribe");
    expectPrivate(await browser.post(new URL(unsubscribeUrl).pathname, { _csrf: csrfTokenIn(unsubscribePage.html) }), "POST unsubscribe");
    const oneClick = await fetch(unsubscribeUrl, { method: "POST", body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) });
    expectPrivate(oneClick, "one-click POST");
    expectPrivate(await browser.post(`${managePath}/delete`, { _csrf: csrf }), "POST delete");

    for (const path of ["/manage/nope", "/unsubscribe/nope", "/digests/nope", "/confirm/nope", "/manage/nope/pause"]) {
      const res = await fetch(`${service.baseUrl}${path}`, { method: path.endsWith("pause") ? "POST" : "GET" });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expectPrivate(res, path);
    }
  });

  it("sends no-store on the confirmation page and its answer", async () => {
    const browser = new FormClient(service.baseUrl);
    await browser.submit("/", "/subscribe", { email: "confirm-cache@example.com", topics: ["math"] });
    const [mail] = await service.sink.waitFor(1, "confirm-cache@example.com");
    const link = linkIn(mail!, "/confirm/");
    const page = await browser.get(link);
    expect(page.status).toBe(200);
    expectPrivate(page, "GET confirm");
    const confirmed = await browser.post(new URL(link).pathname, { _csrf: csrfTokenIn(page.html) });
    expect(confirmed.status).toBe(200);
    expectPrivate(confirmed, "POST confirm");
  });
});

describe("link lifetime", () => {
  it("manage and view-in-browser links expire after 90 days, with a way to get a new one", async () => {
    const subscriber = await addSubscriber(service.database.db, "lifetime@example.com", { topics: ["math"] });
    const digest = await digestFor(subscriber.id);
    const issued = new Date(service.clock.now.getTime() - 89 * DAY);
    const { manageUrl } = links(subscriber.id, issued);
    const digestUrl = `${service.baseUrl}/digests/${signSubscriberToken(TEST_SECRET, digest.id, "digest", issued)}`;
    expect((await fetch(manageUrl)).status).toBe(200);
    expect((await fetch(digestUrl)).status).toBe(200);

    const old = new Date(service.clock.now.getTime() - 91 * DAY);
    const expired = await fetch(links(subscriber.id, old).manageUrl);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toMatch(/expired.*subscribe page/s);
    expect((await fetch(`${service.baseUrl}/digests/${signSubscriberToken(TEST_SECRET, digest.id, "digest", old)}`)).status).toBe(404);
  });

  it("unsubscribe links never expire", async () => {
    const subscriber = await addSubscriber(service.database.db, "forever@example.com", { topics: ["math"] });
    const { unsubscribeUrl } = links(subscriber.id, new Date(service.clock.now.getTime() - 5 * 365 * DAY));
    expect((await fetch(unsubscribeUrl)).status).toBe(200);
    const res = await fetch(unsubscribeUrl, { method: "POST", body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) });
    expect(res.status).toBe(200);
    expect((await service.database.db.subscriber.findUnique({ where: { id: subscriber.id } }))!.status).toBe("unsubscribed");
  });

  it("keeps the unsubscribe links of emails sent before links carried their day working (and only those)", async () => {
    const subscriber = await addSubscriber(service.database.db, "old-email@example.com", { topics: ["math"] });
    const id = Buffer.from(subscriber.id.replace(/-/g, ""), "hex").toString("base64url");
    const legacy = (purpose: string) => `${id}.${createHmac("sha256", TEST_SECRET).update(`${purpose}:${id}`).digest("base64url")}`;
    expect((await fetch(`${service.baseUrl}/manage/${legacy("manage")}`)).status).toBe(400);
    const res = await fetch(`${service.baseUrl}/unsubscribe/${legacy("unsubscribe")}`, { method: "POST", body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) });
    expect(res.status).toBe(200);
    expect((await service.database.db.subscriber.findUnique({ where: { id: subscriber.id } }))!.status).toBe("unsubscribed");
  });

  it("refuses a link issued in the future (a forged date cannot extend a link's life)", async () => {
    const subscriber = await addSubscriber(service.database.db, "future@example.com", { topics: ["math"] });
    expect((await fetch(links(subscriber.id, new Date(service.clock.now.getTime() + 3 * DAY)).manageUrl)).status).toBe(400);
  });
});
