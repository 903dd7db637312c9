// End to end in a real browser: subscribe, confirm from /dev/mail, change topics, unsubscribe.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchBrowser } from "../support/browser.ts";
import { startTestService, type TestService } from "../support/service.ts";

describe.skipIf(!chromiumPath)("a reader in a real browser", () => {
  let service: TestService;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    service = await startTestService({}, { devMail: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it("subscribes, confirms from /dev/mail, changes topics in the preference center, and unsubscribes", async () => {
    const context = await browser.newContext({ timezoneId: "Asia/Tokyo", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.setDefaultTimeout(8_000);
    const subscriber = () => service.database.db.subscriber.findUnique({ where: { email: "browser@example.com" }, include: { topics: { include: { topic: true } } } });

    await page.goto(`${service.baseUrl}/`);
    // The page preselects the browser's time zone when JavaScript runs.
    expect(await page.locator("#timezone").inputValue()).toBe("Asia/Tokyo");
    await page.getByLabel("Email address").fill("browser@example.com");
    await page.getByLabel(/Reasoning & Chain-of-Thought/).check();
    await page.getByLabel(/Your own keywords/).fill("speculative decoding");
    await page.getByLabel("Papers per email").selectOption("4");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Check your inbox");
    expect((await subscriber())!.status).toBe("pending");

    // The confirmation email, read where a newcomer reads it.
    await expect.poll(async () => (await page.goto(`${service.baseUrl}/dev/mail`), await page.getByRole("link", { name: /Confirm your/ }).count()), { timeout: 10_000 }).toBe(1);
    await page.getByRole("link", { name: /Confirm your/ }).click();
    await page.getByRole("link", { name: "Open the HTML version" }).click();
    // Email buttons open a new tab, as in a web mail client.
    const [tab] = await Promise.all([context.waitForEvent("page"), page.getByRole("link", { name: "Yes, send me papers" }).click()]);
    await tab.waitForLoadState();
    expect((await subscriber())!.status).toBe("pending"); // opening the link confirms nothing
    await page.close();
    await tab.getByRole("button", { name: "Confirm my subscription" }).click();
    await expect.poll(() => tab.locator("h1").textContent()).toBe("You are subscribed");
    const confirmed = (await subscriber())!;
    expect(confirmed).toMatchObject({ status: "active", timezone: "Asia/Tokyo", maxPapers: 4, keywords: ["speculative decoding"] });

    await tab.getByRole("link", { name: "change your preferences now" }).click();
    await tab.getByLabel(/Reasoning & Chain-of-Thought/).uncheck();
    await tab.getByLabel(/LLM Agents & Tool Use/).check();
    await tab.getByRole("button", { name: "Save preferences" }).click();
    await expect.poll(() => tab.locator(".notice.ok").textContent()).toContain("Your preferences are saved.");
    expect((await subscriber())!.topics.map((t) => t.topic.slug)).toEqual(["agents"]);

    await tab.getByRole("link", { name: "Unsubscribe" }).click();
    await tab.getByRole("button", { name: "Unsubscribe" }).click();
    await expect.poll(() => tab.locator("h1").textContent()).toBe("You are unsubscribed");
    expect((await subscriber())!.status).toBe("unsubscribed");
    await context.close();
  });
});
