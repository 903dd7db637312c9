// The preference center and the unsubscribe page as a reader meets them: what state the subscription is in, the way
// back after unsubscribing (with a new proof of consent), less mail instead of none, and a warning when the chosen
// topics and keywords match nothing recent.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { subscriberLinks } from "../../src/subscriptions/links.ts";
import { refreshMatching } from "../../src/topics/paper-index.ts";
import { abstractAbout, addSubscriber, ingestPapers } from "../support/digest.ts";
import { csrfTokenIn, FormClient, postJson } from "../support/http.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";
import { linkIn } from "../support/smtp-sink.ts";

let service: TestService;
const links = (id: string) => subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: TEST_SECRET }, id);
const path = (url: string) => new URL(url).pathname;
const reader = (email: string) => service.database.db.subscriber.findUnique({ where: { email }, include: { topics: { include: { topic: true } } } });
const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

beforeAll(async () => {
  service = await startTestService();
  await ingestPapers(
    service.database.db,
    Array.from({ length: 3 }, (_, i) => ({ title: `Replay Buffers Against Catastrophic Forgetting ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date(Date.now() - 2 * 86_400_000),
  );
  await refreshMatching(service.database.db);
});
afterAll(async () => {
  await service?.close();
});
beforeEach(() => service.sink.clear());

describe("an unsubscribed reader's preference center", () => {
  it("says they are unsubscribed, does not pretend saved preferences bring emails, and offers Resubscribe", async () => {
    const gone = await addSubscriber(service.database.db, "gone@example.com", { topics: ["continual-learning"], status: "unsubscribed" });
    await service.database.db.subscriber.update({ where: { id: gone.id }, data: { unsubscribedAt: new Date("2026-11-20T10:00:00Z") } });
    const browser = new FormClient(service.baseUrl);
    const page = await browser.get(links(gone.id).manageUrl);
    expect(page.status).toBe(200);
    expect(text(page.html)).toContain("You are unsubscribed (since Fri 20 Nov 2026): we send this address nothing.");
    expect(page.html).toContain(`action="${path(links(gone.id).manageUrl)}/resubscribe"`);
    expect(page.html).not.toContain("Pause emails");

    const saved = await browser.post(path(links(gone.id).manageUrl), { _csrf: csrfTokenIn(page.html), topics: ["continual-learning", "agents"], keywords: "", timezone: "UTC", sendHour: "7", maxPapers: "5", cadence: "daily", weekday: "1" });
    expect(saved.status).toBe(200);
    expect(saved.html).toContain("Your preferences are saved, but you are unsubscribed: no emails will come until you resubscribe.");
    expect(text(saved.html)).not.toMatch(/Your preferences are saved\.\s/);
    expect((await reader("gone@example.com"))!.status).toBe("unsubscribed");
  });

  it("resubscribes with the same proof of consent as a new subscription: a confirmation email, then active again", async () => {
    const { db } = service.database;
    const gone = await addSubscriber(db, "back@example.com", { topics: ["continual-learning"], keywords: ["replay buffers"], sendHour: 9, maxPapers: 4, status: "unsubscribed" });
    const browser = new FormClient(service.baseUrl);
    const answer = await browser.submit(links(gone.id).manageUrl, `${path(links(gone.id).manageUrl)}/resubscribe`, {});
    expect(answer.status).toBe(200);
    expect(answer.html).toContain("we emailed back@example.com a confirmation link");
    // Waiting for the link in the email, as a new subscription does: no email goes out before.
    expect((await reader("back@example.com"))!.status).toBe("pending");
    const [mail] = await service.sink.waitFor(1, "back@example.com");
    expect(mail!.subject).toMatch(/Confirm/);
    const link = linkIn(mail!, "/confirm/");
    const confirmed = await browser.submit(link, path(link), {});
    expect(confirmed.html).toContain("You are subscribed");
    const back = (await reader("back@example.com"))!;
    expect(back).toMatchObject({ status: "active", keywords: ["replay buffers"], sendHour: 9, maxPapers: 4, unsubscribedAt: null });
    expect(back.topics.map((t) => t.topic.slug)).toEqual(["continual-learning"]);
    // The consent record is the new one: requested and confirmed now, from this client.
    expect(back.confirmedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(back.subscribedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(back.confirmedIp).toBeTruthy();
    // And the preference center says so.
    expect(text((await browser.get(links(gone.id).manageUrl)).html)).toContain("Emails are on.");
  });

  it("refuses to resubscribe a suppressed address and sends it nothing", async () => {
    const { db } = service.database;
    const gone = await addSubscriber(db, "complained@example.com", { topics: ["continual-learning"], status: "unsubscribed" });
    await db.suppression.create({ data: { email: "complained@example.com", reason: "complained" } });
    const answer = await new FormClient(service.baseUrl).submit(links(gone.id).manageUrl, `${path(links(gone.id).manageUrl)}/resubscribe`, {});
    expect(answer.html).toContain("This address cannot receive our emails");
    await new Promise((r) => setTimeout(r, 300));
    expect(service.sink.to("complained@example.com")).toEqual([]);
  });
});

describe("the unsubscribe page", () => {
  it("offers a 2-week pause instead, which pauses and ends by itself", async () => {
    const active = await addSubscriber(service.database.db, "pause-me@example.com", { topics: ["continual-learning"] });
    const browser = new FormClient(service.baseUrl);
    const page = await browser.get(links(active.id).unsubscribeUrl);
    expect(page.html).toContain("Pause for 14 days");
    expect(page.html).toContain("Fewer papers: 3 instead of 5");
    expect(page.html).toContain("Weekly instead of daily (Mondays)");
    const before = Date.now();
    const done = await browser.post(`${path(links(active.id).unsubscribeUrl)}/instead`, { _csrf: csrfTokenIn(page.html), choice: "pause-2-weeks" });
    expect(done.status).toBe(200);
    expect(done.html).toContain("Your emails are paused until");
    const paused = (await reader("pause-me@example.com"))!;
    expect(paused.status).toBe("paused");
    const days = (paused.pausedUntil!.getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(13.99);
    expect(days).toBeLessThan(14.01);
  });

  it("offers fewer papers and weekly instead of daily, each only lessening the mail", async () => {
    const active = await addSubscriber(service.database.db, "less@example.com", { topics: ["continual-learning"], maxPapers: 8 });
    const browser = new FormClient(service.baseUrl);
    const page = await browser.get(links(active.id).unsubscribeUrl);
    const unsubscribePath = path(links(active.id).unsubscribeUrl);
    expect((await browser.post(`${unsubscribePath}/instead`, { _csrf: csrfTokenIn(page.html), choice: "fewer-papers" })).html).toContain("at most 3 papers");
    expect((await browser.post(`${unsubscribePath}/instead`, { _csrf: csrfTokenIn(page.html), choice: "weekly" })).html).toContain("one email a week, on Mondays");
    expect(await reader("less@example.com")).toMatchObject({ status: "active", maxPapers: 3, cadence: "weekly", weekday: 1 });
    // Shown again, the page offers only what would still lessen the mail.
    const again = await browser.get(links(active.id).unsubscribeUrl);
    expect(again.html).not.toContain("Fewer papers");
    expect(again.html).not.toContain("Weekly instead of daily");
    expect(again.html).toContain("Pause for 14 days");
    const bogus = await browser.post(`${unsubscribePath}/instead`, { _csrf: csrfTokenIn(page.html), choice: "never-again" });
    expect(bogus.status).toBe(400);
  });

  it("knows when the reader has already unsubscribed, and offers the way back", async () => {
    const active = await addSubscriber(service.database.db, "twice@example.com", { topics: ["continual-learning"] });
    const browser = new FormClient(service.baseUrl);
    const first = await browser.submit(links(active.id).unsubscribeUrl, path(links(active.id).unsubscribeUrl), {});
    expect(first.html).toContain("You are unsubscribed");
    const again = await browser.get(links(active.id).unsubscribeUrl);
    expect(again.status).toBe(200);
    expect(again.html).toContain("You are already unsubscribed");
    expect(again.html).not.toContain("Pause for 14 days");
    expect(again.html).not.toContain(">Unsubscribe</button>");
    const back = await browser.post(`${path(links(active.id).unsubscribeUrl)}/resubscribe`, { _csrf: csrfTokenIn(again.html) });
    expect(back.html).toContain("We emailed twice@example.com a confirmation link");
    expect((await service.sink.waitFor(1, "twice@example.com"))[0]!.subject).toMatch(/Confirm/);
    expect((await reader("twice@example.com"))!.status).toBe("pending");
  });
});

describe("topics and keywords that match nothing", () => {
  it("are named after subscribing on the form and in the API's answer, and only those", async () => {
    const browser = new FormClient(service.baseUrl);
    const answer = await browser.submit("/", "/subscribe", { email: "folding@example.com", topics: ["continual-learning"], keywords: "protein folding, replay buffers", timezone: "UTC", sendHour: "7", maxPapers: "5" });
    expect(answer.status).toBe(303);
    const page = await browser.get(answer.headers.get("location")!);
    expect(page.html).toContain("No paper of the last 30 days matches “protein folding”.");
    expect(page.html).not.toContain("matches “replay buffers”");
    expect(page.html).not.toContain("Together, your topics and keywords match no paper");
    // The warnings ride in a signed query: another text in it shows nothing.
    const forged = answer.headers.get("location")!.replace(/w=[^&]+/, `w=${Buffer.from(JSON.stringify({ keywords: ["call +1 555"], nothing: true })).toString("base64url")}`);
    expect((await browser.get(forged)).html).not.toContain("call +1 555");

    const api = await postJson(`${service.baseUrl}/api/subscriptions`, { email: "nothing@example.com", topics: ["surveys"], keywords: ["protein folding"] });
    expect(api.status).toBe(202);
    expect(api.json.warnings).toEqual([
      "No paper of the last 30 days matches “protein folding”.",
      "Together, your topics and keywords match no paper of the last 30 days: you will get an email only when one does. Broader keywords or a topic would help.",
    ]);
  });

  it("are named when the reader saves them in the preference center", async () => {
    const active = await addSubscriber(service.database.db, "changes@example.com", { topics: ["continual-learning"] });
    const browser = new FormClient(service.baseUrl);
    const page = await browser.get(links(active.id).manageUrl);
    const saved = await browser.post(path(links(active.id).manageUrl), { _csrf: csrfTokenIn(page.html), topics: ["continual-learning"], keywords: "protein folding", timezone: "UTC", sendHour: "7", maxPapers: "5", cadence: "daily", weekday: "1" });
    expect(saved.html).toContain("Your preferences are saved.");
    expect(saved.html).toContain("No paper of the last 30 days matches “protein folding”.");
  });
});
