import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

describe("configuration", () => {
  it("names the variable and what is expected when a value is bad", () => {
    expect(() => loadConfig({ PORT: "abc" })).toThrow(/^Invalid configuration: PORT="abc"/);
    expect(() => loadConfig({ DIGEST_CRON: "every day" })).toThrow(/DIGEST_CRON="every day" \(a cron expression/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(ConfigError);
  });

  it("requires APP_SECRET and SMTP_URL in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", SMTP_URL: "smtp://mail.example.com" })).toThrow(/APP_SECRET is required/);
    expect(() => loadConfig({ NODE_ENV: "production", APP_SECRET: "x".repeat(32) })).toThrow(/SMTP_URL is required/);
    expect(loadConfig({ NODE_ENV: "production", APP_SECRET: "x".repeat(32), SMTP_URL: "smtp://mail.example.com" }).production).toBe(true);
  });

  it("has working defaults for a zero-config development start", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, publicBaseUrl: "http://localhost:3000", databaseUrl: undefined, env: "development" });
    expect(config.digest.cron).toBe("*/15 * * * *");
    expect(config.digest).toMatchObject({ giveUpHours: 24, sweepSeconds: 30, maxAttempts: 8 });
    expect(config.databaseWaitSeconds).toBe(300);
  });

  it("takes a give-up window in decimal hours, and refuses one that is not positive", () => {
    expect(loadConfig({ DIGEST_GIVE_UP_HOURS: "0.5" }).digest.giveUpHours).toBe(0.5);
    expect(() => loadConfig({ DIGEST_GIVE_UP_HOURS: "0" })).toThrow(/^Invalid configuration: DIGEST_GIVE_UP_HOURS="0"/);
    expect(() => loadConfig({ DATABASE_WAIT_SECONDS: "-1" })).toThrow(/DATABASE_WAIT_SECONDS/);
  });
});
