// Debian's chromium driven by playwright-core (its own browser download cannot work here).
import fs from "node:fs";
import { type Browser, chromium } from "playwright-core";

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
