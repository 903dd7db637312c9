// A reader's flows in a real browser at phone and laptop widths: subscribing weekly with a searched time zone, the
// email (papers grouped by topic), the preference center's feed link and archive, unsubscribing (and the alternatives),
// resubscribing, and deleting after the confirmation page. Screenshots of each page at 390 px and 1280 px go to
// test/artifacts/screenshots/ (git-ignored) for a person to look at.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshMatching } from "../../src/topics/paper-index.ts";
import { chromiumPath, launchBrowser, screenshotBothWidths } from "../support/browser.ts";
import { abstractAbout, addSubscriber, ingestPapers, planAndSendDigests } from "../support/digest.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { linkIn } from "../support/smtp-sink.ts";

describe.skipIf(!chromiumPath)("a reader's flows in a real browser", () => {
  let service: TestService;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    service = await startTestService();
    browser = await launchBrowser();
    const seen = new Date(Date.now() - 86_400_000);
    await ingestPapers(
      service.database.db,
      [
        ...Array.from({ length: 3 }, (_, i) => ({
          title: `Replay Buffers Against Catastrophic Forgetting ${i + 1}`,
          abstract: `Neural networks forget old tasks when trained on new ones. We propose a compact replay buffer for continual learning that stores gradients instead of samples (variant ${i}). It matches full replay on standard benchmarks at a tenth of the memory.`,
        })),
        ...Array.from({ length: 2 }, (_, i) => ({ title: `Tool-Using LLM Agents That Plan Ahead ${i + 1}`, abstract: abstractAbout("LLM agents with tool use and function calling", i) })),
      ],
      seen,
    );
    await refreshMatching(service.database.db);
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  async function open(context: BrowserContext, url: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(url.startsWith("http") ? url : `${service.baseUrl}${url}`);
    await page.waitForLoadState("load");
    return page;
  }
  const subscriber = (email: string) => service.database.db.subscriber.findUnique({ where: { email } });

  it("subscribes weekly on a Friday in a time zone found by typing, and is told the exact first email", async () => {
    const context = await browser.newContext({ timezoneId: "Europe/Berlin", viewport: { width: 390, height: 844 } });
    const page = await open(context, "/");
    await page.getByLabel("Email address").fill("weekly-reader@example.com");
    await page.getByLabel(/Continual & Lifelong Learning/).check();
    await page.getByLabel(/Once a week/).check();
    await page.getByLabel("Weekday of the weekly email").selectOption({ label: "Friday" });
    await page.getByLabel("Papers per email").selectOption("15");
    await page.getByLabel("Search time zones").fill("tokyo");
    expect(await page.locator("#timezone").inputValue()).toBe("Asia/Tokyo");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Check your inbox");

    const [mail] = await service.sink.waitFor(1, "weekly-reader@example.com");
    await page.goto(linkIn(mail!, "/confirm/"));
    await page.getByRole("button", { name: "Confirm my subscription" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("You are subscribed");
    expect(await page.getByRole("status").textContent()).toMatch(/Your first email: (tomorrow|\w{3} \d{1,2} \w{3}), 07:00 Asia\/Tokyo\. Then one every Friday at 07:00\./);
    expect(await subscriber("weekly-reader@example.com")).toMatchObject({ status: "active", cadence: "weekly", weekday: 5, maxPapers: 15, timezone: "Asia/Tokyo" });
    await screenshotBothWidths(page, "confirmed");
    await context.close();
  });

  it("reads the email with papers grouped by topic, opens the archive and the private feed, and resets the feed link", async () => {
    const reader = await addSubscriber(service.database.db, "two-topics@example.com", { topics: ["continual-learning", "agents"], maxPapers: 5 });
    await planAndSendDigests(service, new Date());
    const [mail] = await service.sink.waitFor(1, "two-topics@example.com");
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const email = await context.newPage();
    await email.setContent(mail!.html);
    expect(await email.getByText("5 new papers on LLM Agents & Tool Use and Continual & Lifelong Learning").count()).toBe(1);
    expect(await email.getByText(/We propose a compact replay buffer/).count()).toBe(3);
    // Two topics: a heading over each topic's papers.
    for (const group of ["LLM Agents & Tool Use", "Continual & Lifelong Learning"]) expect(await email.getByText(group, { exact: true }).count(), group).toBe(1);
    await screenshotBothWidths(email, "digest-email");

    // "View in browser" lays the papers out as the email does.
    const online = await open(context, linkIn(mail!, "/digests/"));
    expect(await online.locator("h1").textContent()).toBe("5 new papers on LLM Agents & Tool Use and Continual & Lifelong Learning");
    expect(await online.locator("h2.group-name").allTextContents()).toEqual(["LLM Agents & Tool Use", "Continual & Lifelong Learning"]);
    expect(await online.locator("ol.paper-list").nth(1).getAttribute("start")).toBe("3");
    expect(await online.getByText(/We propose a compact replay buffer/).count()).toBe(3);
    await screenshotBothWidths(online, "digest-page");

    const archive = await open(context, linkIn(mail!, "/archive/"));
    expect(await archive.locator("h1").textContent()).toBe("Your past digests");
    expect(await archive.getByText("Replay Buffers Against Catastrophic Forgetting 1").count()).toBe(1);
    await screenshotBothWidths(archive, "archive");

    const manage = await open(context, linkIn(mail!, "/manage/"));
    expect(await manage.getByRole("status").first().textContent()).toContain("Emails are on.");
    const feedUrl = await manage.getByLabel(/Your private Atom feed/).inputValue();
    const feed = await manage.request.get(feedUrl);
    expect(feed.status()).toBe(200);
    const xml = await feed.text();
    for (const title of [...mail!.text.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1]!)) expect(xml).toContain(title);
    // On a phone, every control of the preference center is a 44 px touch target, and nothing scrolls sideways.
    const small = await manage.evaluate(`(() => [...document.querySelectorAll("main button, main select, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main a.button, .topics label, .cadence label")]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ what: el.tagName + " " + (el.textContent || el.getAttribute("name") || el.id || "").trim().slice(0, 30), height: el.getBoundingClientRect().height }))
      .filter((t) => t.height < 44))()`);
    expect(small).toEqual([]);
    expect(await manage.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshotBothWidths(manage, "preferences");
    await manage.getByRole("button", { name: "Reset my feed link" }).click();
    await expect.poll(() => manage.locator(".notice.ok").textContent()).toContain("Your feed has a new link");
    expect(await manage.getByLabel(/Your private Atom feed/).inputValue()).not.toBe(feedUrl);
    expect((await manage.request.get(feedUrl)).status()).toBe(400);
    expect(reader.id).toBeTruthy();
    await context.close();
  });

  it("unsubscribes (after seeing the alternatives), sees the state in the preference center, and resubscribes with a confirmation", async () => {
    await addSubscriber(service.database.db, "leaver@example.com", { topics: ["agents"] });
    await planAndSendDigests(service, new Date());
    const [mail] = await service.sink.waitFor(1, "leaver@example.com");
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await open(context, linkIn(mail!, "/unsubscribe/"));
    expect(await page.getByRole("button", { name: "Pause for 14 days" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: /Weekly instead of daily/ }).isVisible()).toBe(true);
    await screenshotBothWidths(page, "unsubscribe");
    await page.getByRole("button", { name: "Unsubscribe", exact: true }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("You are unsubscribed");
    await page.goto(linkIn(mail!, "/unsubscribe/"));
    expect(await page.locator("h1").textContent()).toBe("You are already unsubscribed");

    const manage = await open(context, linkIn(mail!, "/manage/"));
    expect(await manage.getByRole("status").first().textContent()).toContain("You are unsubscribed");
    await screenshotBothWidths(manage, "preferences-unsubscribed");
    service.sink.clear();
    await manage.getByRole("button", { name: "Resubscribe" }).click();
    await expect.poll(() => manage.locator(".notice.ok").textContent()).toContain("we emailed leaver@example.com a confirmation link");
    const [confirm] = await service.sink.waitFor(1, "leaver@example.com");
    await manage.goto(linkIn(confirm!, "/confirm/"));
    await manage.getByRole("button", { name: "Confirm my subscription" }).click();
    await expect.poll(() => manage.locator("h1").textContent()).toBe("You are subscribed");
    expect((await subscriber("leaver@example.com"))!.status).toBe("active");
    await context.close();
  });

  it("deletes everything only after a page that says what goes", async () => {
    await addSubscriber(service.database.db, "deleter@example.com", { topics: ["continual-learning"] });
    await planAndSendDigests(service, new Date());
    const [mail] = await service.sink.waitFor(1, "deleter@example.com");
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await open(context, linkIn(mail!, "/manage/"));
    await page.getByRole("link", { name: "Delete all my data…" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Delete all your data?");
    expect(await page.locator("main").textContent()).toMatch(/the history of the 1 email we sent you \(\d papers?\)/);
    expect(await subscriber("deleter@example.com")).not.toBeNull();
    await screenshotBothWidths(page, "delete");
    await page.getByRole("link", { name: "No, keep my subscription" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Your preferences");
    expect(await subscriber("deleter@example.com")).not.toBeNull();
    await page.getByRole("link", { name: "Delete all my data…" }).click();
    await page.getByRole("button", { name: "Delete everything" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Your data is deleted");
    expect(await subscriber("deleter@example.com")).toBeNull();
    await context.close();
  });
});
