// Debian's chromium driven by playwright-core (its own browser download cannot work here).
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { PROJECT_ROOT } from "../../src/config.ts";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter(Boolean) as string[];

export const chromiumPath = CANDIDATES.find((p) => fs.existsSync(p));
if (!chromiumPath) console.warn(`[skip] no Chromium found (looked at ${CANDIDATES.join(", ")}): browser tests are skipped. apt-get install chromium`);

/** Headless, with a fresh temporary profile (playwright makes one per launch) and no background traffic. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
}

/** Git-ignored: screenshots a person can look at after a run (npm test), one per page and width. */
export const SCREENSHOT_DIR = path.join(PROJECT_ROOT, "test", "artifacts", "screenshots");

/** Full-page screenshots of what `page` shows, at a phone's width (390 px) and a laptop's (1280 px). */
export async function screenshotBothWidths(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}
