// A reader's own data after real digests went out: the archive of past digests (linked from the emails and the
// preference center), the private Atom feed with the papers of those emails, "Download my data", and the list of what
// "Delete all my data" deletes.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFeedback } from "../../src/feedback/feedback.ts";
import { subscriberLinks } from "../../src/subscriptions/links.ts";
import { refreshMatching } from "../../src/topics/paper-index.ts";
import { abstractAbout, addSubscriber, ingestPapers, planAndSendDigests } from "../support/digest.ts";
import { FormClient } from "../support/http.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";
import { linkIn, type ReceivedMail } from "../support/smtp-sink.ts";

let service: TestService;
let readerId: string;
let mails: ReceivedMail[];
const links = (id: string) => subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: TEST_SECRET }, id);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", isArray: (name) => name === "entry" || name === "link" });
const titlesIn = (mail: ReceivedMail) => [...mail.text.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1]!);

beforeAll(async () => {
  service = await startTestService();
  const { db } = service.database;
  await ingestPapers(
    db,
    Array.from({ length: 6 }, (_, i) => ({ title: `Replay Buffers Against Catastrophic Forgetting ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date("2026-11-20T00:00:00Z"),
  );
  await refreshMatching(db);
  const reader = await addSubscriber(db, "archivist@example.com", { topics: ["continual-learning"], maxPapers: 3 });
  readerId = reader.id;
  await db.subscriber.update({ where: { id: readerId }, data: { subscribedAt: new Date("2026-11-19T08:00:00Z"), subscribedIp: "203.0.113.9", confirmedIp: "203.0.113.9" } });
  await planAndSendDigests(service, new Date("2026-11-23T12:00:00Z"));
  await planAndSendDigests(service, new Date("2026-11-24T12:00:00Z"));
  mails = await service.sink.waitFor(2, "archivist@example.com");
  const paper = await db.paper.findFirstOrThrow({ where: { title: { contains: "Forgetting 1" } } });
  await recordFeedback(db, readerId, paper.id, "more");
});
afterAll(async () => {
  await service?.close();
});

describe("the archive of past digests", () => {
  it("lists every email sent, newest first, at the signed link the emails and the preference center carry", async () => {
    expect(mails.map(titlesIn).flat()).toHaveLength(6);
    const fromEmail = linkIn(mails[1]!, "/archive/");
    expect(mails[1]!.text).toContain(`Past digests: ${fromEmail}`);
    const manage = await new FormClient(service.baseUrl).get(links(readerId).manageUrl);
    expect(manage.html).toContain('href="http://127.0.0.1');
    expect(manage.html).toMatch(/href="[^"]+\/archive\/[^"]+">Your past digests/);

    const page = await fetch(fromEmail);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html.indexOf("Tue 24 Nov 2026")).toBeGreaterThan(0);
    expect(html.indexOf("Tue 24 Nov 2026")).toBeLessThan(html.indexOf("Mon 23 Nov 2026"));
    for (const title of mails.map(titlesIn).flat()) expect(html).toContain(title);
    // Each day links to that email's page.
    const dayLink = /href="([^"]+\/digests\/[^"]+)">Tue 24 Nov 2026/.exec(html)![1]!;
    expect(await (await fetch(dayLink)).text()).toContain(titlesIn(mails[1]!)[0]!);

    expect((await fetch(fromEmail.replace(/.$/, (c) => (c === "A" ? "B" : "A")))).status).toBe(400);
    const manageToken = links(readerId).manageUrl.split("/manage/")[1]!;
    expect((await fetch(`${service.baseUrl}/archive/${manageToken}`)).status).toBe(400); // another purpose's token
  });
});

describe("the private Atom feed", () => {
  it("carries the same papers as the emails, and a reset link voids the old one", async () => {
    const manage = await new FormClient(service.baseUrl).get(links(readerId).manageUrl);
    const feedUrl = /id="feed-url" value="([^"]+)"/.exec(manage.html)![1]!;
    const res = await fetch(feedUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const xml = await res.text();
    expect(XMLValidator.validate(xml)).toBe(true);
    const { feed } = parser.parse(xml) as { feed: { entry: { title: string }[]; link: { "@rel"?: string; "@href": string }[] } };
    expect(feed.entry.map((e) => String((e.title as unknown as { "#text": string })["#text"])).sort()).toEqual(mails.map(titlesIn).flat().sort());
    expect(feed.link.find((l) => l["@rel"] === "self")!["@href"]).toBe(feedUrl);
    expect(xml).not.toContain("archivist@example.com");

    const browser = new FormClient(service.baseUrl);
    const page = await browser.get(links(readerId).manageUrl);
    const reset = await browser.post(`${new URL(links(readerId).manageUrl).pathname}/feed/reset`, { _csrf: /name="_csrf" value="([^"]+)"/.exec(page.html)![1]! });
    expect(reset.html).toContain("Your feed has a new link");
    const newUrl = /id="feed-url" value="([^"]+)"/.exec(reset.html)![1]!;
    expect(newUrl).not.toBe(feedUrl);
    expect((await fetch(feedUrl)).status).toBe(400);
    expect((await fetch(newUrl)).status).toBe(200);
  });
});

describe("Download my data", () => {
  it("gives a JSON file with the address, preferences, consent records, digests sent and feedback given", async () => {
    const manage = await new FormClient(service.baseUrl).get(links(readerId).manageUrl);
    const href = /href="([^"]+\/data\.json)" download>Download my data/.exec(manage.html)![1]!;
    const res = await fetch(`${service.baseUrl}${href}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="trending-papers-digest-my-data.json"');
    expect(res.headers.get("cache-control")).toBe("no-store");
    const data = (await res.json()) as any;
    expect(data.address).toBe("archivist@example.com");
    expect(data.preferences).toMatchObject({ topics: [{ slug: "continual-learning" }], keywords: [], cadence: "daily", deliveryHour: 7, timeZone: "UTC", papersPerEmail: 3 });
    expect(data.consent).toMatchObject({ subscribeRequestedAt: "2026-11-19T08:00:00.000Z", subscribeRequestedFromIp: "203.0.113.9", confirmedFromIp: "203.0.113.9" });
    expect(data.digestsSent.map((d: { date: string }) => d.date)).toEqual(["2026-11-24", "2026-11-23"]);
    expect(data.digestsSent.flatMap((d: { papers: { title: string }[] }) => d.papers.map((p) => p.title)).sort()).toEqual(mails.map(titlesIn).flat().sort());
    expect(data.digestsSent[0].subject).toBe(mails[1]!.subject);
    expect(data.feedbackGiven).toEqual([expect.objectContaining({ verdict: "more like this", paper: expect.objectContaining({ title: "Replay Buffers Against Catastrophic Forgetting 1" }) })]);
    expect((await fetch(`${service.baseUrl}${href.replace("/manage/", "/manage/x")}`)).status).toBe(400);
  });
});

describe("Delete all my data", () => {
  it("lists what goes, with the counts, before anything is deleted", async () => {
    const page = await new FormClient(service.baseUrl).get(`${links(readerId).manageUrl}/delete`);
    const text = page.html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
    expect(text).toContain("your preferences: 1 topic, 0 keywords of your own");
    expect(text).toContain("the history of the 2 emails we sent you (6 papers)");
    expect(text).toContain("your 1 “more / less like this” choice and the reading profile");
  });
});
