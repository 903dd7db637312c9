// The subscribe form in a real browser: the time-zone picker, a form shown again after an error, touch targets.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchBrowser, screenshotBothWidths } from "../support/browser.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { linkIn } from "../support/smtp-sink.ts";

describe.skipIf(!chromiumPath)("the subscribe form in a real browser", () => {
  let service: TestService;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    service = await startTestService();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  async function open(context: BrowserContext, path = "/"): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(`${service.baseUrl}${path}`);
    await page.waitForLoadState("load");
    return page;
  }

  it("keeps the time zone the reader picked when the form comes back with an error, and saves that zone", async () => {
    const context = await browser.newContext({ timezoneId: "Europe/Berlin", viewport: { width: 1280, height: 900 } });
    const page = await open(context);
    expect(await page.locator("#timezone").inputValue()).toBe("Europe/Berlin"); // a fresh form guesses the browser's zone
    await page.getByLabel("Email address").fill("new-york@example.com");
    await page.locator("#timezone").selectOption("America/New_York");
    await page.getByLabel("Delivery time").selectOption("6");
    await page.getByRole("button", { name: "Subscribe" }).click(); // no topic: the form comes back
    await expect.poll(() => page.locator(".field-error").first().textContent()).toContain("choose at least one topic");
    await page.waitForLoadState("load");
    expect(await page.locator("#timezone").inputValue()).toBe("America/New_York");
    expect(await page.locator("#sendHour").inputValue()).toBe("6");

    await page.getByLabel(/Reasoning & Chain-of-Thought/).check();
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Check your inbox");
    const [mail] = await service.sink.waitFor(1, "new-york@example.com");
    await page.goto(linkIn(mail!, "/confirm/"));
    await page.getByRole("button", { name: "Confirm my subscription" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("You are subscribed");
    const saved = await service.database.db.subscriber.findUnique({ where: { email: "new-york@example.com" } });
    expect(saved).toMatchObject({ status: "active", timezone: "America/New_York", sendHour: 6 });
    expect(await page.getByRole("status").textContent()).toMatch(/Your first email: (today|tomorrow), 06:00 America\/New_York\./);
    await context.close();
  });

  it("offers current IANA names grouped by region with UTC offsets, searchable by city, country, name or offset", async () => {
    const context = await browser.newContext({ timezoneId: "Asia/Kolkata", viewport: { width: 390, height: 844 } });
    const page = await open(context);
    // The browser's zone, under its current name, even where ICU calls it Asia/Calcutta.
    expect(await page.locator("#timezone").inputValue()).toBe("Asia/Kolkata");
    const values = await page.locator("#timezone option").evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    for (const legacy of ["Asia/Calcutta", "Europe/Kiev", "Asia/Saigon", "Asia/Katmandu", "America/Godthab"]) expect(values).not.toContain(legacy);
    for (const current of ["Asia/Kolkata", "Europe/Kyiv", "Asia/Ho_Chi_Minh", "Asia/Kathmandu", "America/Nuuk", "UTC"]) expect(values).toContain(current);
    const regions = await page.locator("#timezone optgroup").evaluateAll((groups) => groups.map((g) => g.getAttribute("label")));
    expect(regions).toEqual(["UTC", "Africa", "Asia", "Europe", "North America", "South America", "Oceania", "Antarctica"]);
    expect(await page.locator('#timezone option[value="Asia/Kolkata"]').textContent()).toBe("(UTC+05:30) Asia/Kolkata");

    await screenshotBothWidths(page, "subscribe-form");
    const search = page.getByLabel("Search time zones");
    expect(await search.isVisible()).toBe(true);
    for (const [typed, zone] of [["kyiv", "Europe/Kyiv"], ["new york", "America/New_York"], ["mumbai", "Asia/Kolkata"], ["+05:45", "Asia/Kathmandu"], ["japan", "Asia/Tokyo"], ["sao paulo", "America/Sao_Paulo"]] as const) {
      await search.fill(typed);
      expect(await page.locator("#timezone").inputValue(), typed).toBe(zone);
    }
    await search.fill("berlin");
    const visible = await page.locator("#timezone option:not([hidden])").evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    expect(visible).toEqual(["Europe/Berlin"]);
    await search.fill("no such place");
    expect(await page.getByText("No time zone matches your search.").isVisible()).toBe(true);
    await search.fill("");
    expect(await page.locator("#timezone option:not([hidden])").count()).toBe(values.length);
    await search.fill("kolkata");
    await screenshotBothWidths(page, "subscribe-form-time-zone-search");
    await context.close();
  });

  it("gives every control a touch target of at least 44 px on a phone", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const page = await open(context);
    const small = await page.evaluate(`(() => {
      const targets = [...document.querySelectorAll("button, select, input[type=email], input[type=text], input[type=search], a.button, .site-header nav a, .topics label, .cadence label")];
      return targets
        .filter((el) => el.offsetParent !== null)
        .map((el) => ({ what: el.tagName + " " + (el.textContent || el.getAttribute("name") || "").trim().slice(0, 30), height: el.getBoundingClientRect().height }))
        .filter((t) => t.height < 44);
    })()`);
    expect(small).toEqual([]);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await context.close();
  });
});
