import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";

const production = { NODE_ENV: "production", APP_SECRET: "x".repeat(32), SMTP_URL: "smtp://mail.example.org", PUBLIC_BASE_URL: "https://digest.example.org", MAIL_FROM: "Digest <digest@example.org>" };

describe("source settings", () => {
  it("fetch nothing from the network in development and tests, and Hugging Face in production", () => {
    expect(loadConfig({}).sources.enabled).toEqual(["folder"]);
    expect(loadConfig({ NODE_ENV: "test" }).sources.enabled).toEqual(["folder"]);
    expect(loadConfig(production).sources.enabled).toEqual(["folder", "huggingface"]);
    expect(loadConfig({ SOURCES: " huggingface , arxiv,huggingface" }).sources.enabled).toEqual(["huggingface", "arxiv"]);
  });

  it("name the variable when a value is wrong", () => {
    expect(() => loadConfig({ SOURCES: "folder,twitter" })).toThrow(/^Invalid configuration: SOURCES="folder,twitter" \(a comma-separated list of folder, huggingface, arxiv\)/);
    expect(() => loadConfig({ ARXIV_CATEGORIES: "cs.LG;cs.CL" })).toThrow(/ARXIV_CATEGORIES="cs.LG;cs.CL"/);
    expect(() => loadConfig({ HF_API_BASE_URL: "ftp://x" })).toThrow(/HF_API_BASE_URL/);
    expect(() => loadConfig({ HF_CRON: "hourly" })).toThrow(/HF_CRON="hourly" \(a cron expression/);
  });

  it("put the service and an operator contact in the User-Agent: SOURCES_CONTACT, else the sender address", () => {
    expect(loadConfig({ PUBLIC_BASE_URL: "https://digest.example.org", SOURCES_CONTACT: "ops@digest.example.org" }).sources.userAgent).toBe(
      "TrendingPapersDigest/0.1 (+https://digest.example.org; mailto:ops@digest.example.org)",
    );
    expect(loadConfig({ MAIL_FROM: "Digest <digest@papers.example.net>", SOURCES_CONTACT: "https://papers.example.net/contact" }).sources.userAgent).toMatch(/; https:\/\/papers\.example\.net\/contact\)$/);
    expect(loadConfig({ MAIL_FROM: "Digest <digest@papers.example.net>" }).sources.contact).toBe("digest@papers.example.net");
  });

  it("require a real contact and arXiv's 3-second spacing before fetching arXiv in production", () => {
    expect(() => loadConfig({ ...production, SOURCES: "arxiv" })).toThrow(/SOURCES_CONTACT is required with SOURCES=arxiv in production/);
    expect(() => loadConfig({ ...production, SOURCES: "arxiv", SOURCES_CONTACT: "ops@digest.example.org", ARXIV_REQUEST_INTERVAL_SECONDS: "1" })).toThrow(/ARXIV_REQUEST_INTERVAL_SECONDS must be at least 3/);
    const config = loadConfig({ ...production, SOURCES: "arxiv", SOURCES_CONTACT: "ops@digest.example.org" });
    expect(config.sources.arxiv).toMatchObject({ baseUrl: "https://export.arxiv.org", categories: ["cs.LG", "cs.CL", "cs.CV", "cs.AI"], requestIntervalMs: 3000, cron: "0 2 * * *" });
    expect(config.sources).toMatchObject({ trendingWindowDays: 7, fetch: { timeoutMs: 30_000, maxResponseBytes: 20 * 1024 * 1024, retries: 4 } });
  });
});
