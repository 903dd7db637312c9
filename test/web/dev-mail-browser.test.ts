// /dev/mail as a newcomer sees it on a phone: readable dates, nothing wider than the screen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchBrowser } from "../support/browser.ts";
import { postJson } from "../support/http.ts";
import { startTestService, type TestService } from "../support/service.ts";

describe.skipIf(!chromiumPath)("the development mail catcher in a browser", () => {
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

  it("shows dates in the site's style and fits a 390 px screen", async () => {
    await postJson(`${service.baseUrl}/api/subscriptions`, { email: "narrow@example.com", topics: ["math"] });
    await expect.poll(() => service.catcher!.messages().length).toBe(1);
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      for (const path of ["/dev/mail", "/dev/mail/1"]) {
        await page.goto(`${service.baseUrl}${path}`);
        const text = await page.locator("main").innerText();
        expect(text, path).not.toMatch(/GMT|\(Coordinated Universal Time\)|\d{4}-\d\d-\d\dT/);
        expect(text, path).toMatch(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d/);
        if (path.endsWith("/1")) await page.locator("details summary").click(); // the headers too
        expect(await page.evaluate("document.documentElement.scrollWidth"), path).toBeLessThanOrEqual(390);
      }
    } finally {
      await page.close();
    }
  });
});
