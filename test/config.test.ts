import { describe, expect, it } from "vitest";
import { ConfigError, configWarnings, loadConfig } from "../src/config.ts";

const PRODUCTION = {
  NODE_ENV: "production",
  APP_SECRET: "x".repeat(32),
  SMTP_URL: "smtp://mail.example.com",
  PUBLIC_BASE_URL: "https://digest.example.com",
  MAIL_FROM: "Trending Papers Digest <digest@example.com>",
};

describe("configuration", () => {
  it("names the variable and what is expected when a value is bad", () => {
    expect(() => loadConfig({ PORT: "abc" })).toThrow(/^Invalid configuration: PORT="abc"/);
    expect(() => loadConfig({ DIGEST_CRON: "every day" })).toThrow(/DIGEST_CRON="every day" \(a cron expression/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(ConfigError);
  });

  it("requires APP_SECRET and SMTP_URL in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", SMTP_URL: "smtp://mail.example.com" })).toThrow(/APP_SECRET is required/);
    expect(() => loadConfig({ NODE_ENV: "production", APP_SECRET: "x".repeat(32) })).toThrow(/SMTP_URL is required/);
    expect(loadConfig(PRODUCTION).production).toBe(true);
  });

  it("refuses to start in production with links to localhost or over plain http", () => {
    const { PUBLIC_BASE_URL: _, ...withoutBaseUrl } = PRODUCTION;
    expect(() => loadConfig(withoutBaseUrl)).toThrow(/PUBLIC_BASE_URL is required in production/);
    expect(() => loadConfig({ ...PRODUCTION, PUBLIC_BASE_URL: "http://digest.example.com" })).toThrow(/PUBLIC_BASE_URL.*https/);
    for (const local of ["https://localhost", "https://localhost:3000", "https://app.localhost", "https://127.0.0.1", "https://[::1]"]) {
      expect(() => loadConfig({ ...PRODUCTION, PUBLIC_BASE_URL: local }), local).toThrow(/PUBLIC_BASE_URL/);
    }
    const config = loadConfig(PRODUCTION);
    expect(config.publicBaseUrl).toBe("https://digest.example.com");
    expect(config.mail.listId).toBe("Trending Papers Digest <digest.digest.example.com>");
  });

  it("refuses to start in production with a sender at localhost", () => {
    const { MAIL_FROM: _, ...withoutFrom } = PRODUCTION;
    expect(() => loadConfig(withoutFrom)).toThrow(/MAIL_FROM/);
    for (const from of ["digest@localhost", "Digest <digest@localhost>", "digest@mail.localhost", "digest@server", "digest@[127.0.0.1]"]) {
      expect(() => loadConfig({ ...PRODUCTION, MAIL_FROM: from }), from).toThrow(/MAIL_FROM/);
    }
    expect(loadConfig({ ...PRODUCTION, MAIL_FROM: "papers@news.example.org" }).mail.from).toBe("papers@news.example.org");
  });

  it("rejects a MAIL_FROM without an address in any environment", () => {
    expect(() => loadConfig({ MAIL_FROM: "Trending Papers Digest" })).toThrow(/^Invalid configuration: MAIL_FROM=/);
  });

  it("warns when the DKIM domain is not aligned with the From domain", () => {
    const dkim = { DKIM_SELECTOR: "s1", DKIM_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nx\\n-----END PRIVATE KEY-----" };
    const misaligned = configWarnings(loadConfig({ ...PRODUCTION, ...dkim, DKIM_DOMAIN: "other.example.net" }));
    expect(misaligned).toEqual([expect.stringMatching(/DKIM_DOMAIN other\.example\.net is not aligned with the From domain example\.com/)]);
    expect(configWarnings(loadConfig({ ...PRODUCTION, ...dkim, DKIM_DOMAIN: "example.com" }))).toEqual([]);
    // Relaxed alignment (DMARC): the From domain may be a subdomain of the signing domain, or the other way round.
    expect(configWarnings(loadConfig({ ...PRODUCTION, ...dkim, DKIM_DOMAIN: "EXAMPLE.com", MAIL_FROM: "papers@news.example.com" }))).toEqual([]);
    expect(configWarnings(loadConfig({ ...PRODUCTION, ...dkim, DKIM_DOMAIN: "mail.example.com" }))).toEqual([]);
    expect(configWarnings(loadConfig({ ...PRODUCTION, ...dkim, DKIM_DOMAIN: "notexample.com" }))).toHaveLength(1);
    expect(configWarnings(loadConfig(PRODUCTION))).toEqual([]);
  });

  it("never echoes a secret's value when it is rejected", () => {
    for (const [name, value] of [["APP_SECRET", "short-secret"], ["METRICS_TOKEN", "short-token"], ["ADMIN_PASSWORD", "short-pw"], ["SMTP_URL", "http://user:pw@mail"]] as const) {
      expect(() => loadConfig({ [name]: value }), name).toThrow(new RegExp(`^Invalid configuration: ${name}=\\(value hidden\\)`));
      try {
        loadConfig({ [name]: value });
      } catch (err) {
        expect((err as Error).message).not.toContain(value);
      }
    }
  });

  it("serves metrics on a separate port only on loopback unless a token protects it", () => {
    expect(loadConfig({}).metrics).toEqual({ token: undefined, port: undefined, host: "127.0.0.1" });
    expect(loadConfig({ METRICS_PORT: "9464" }).metrics).toMatchObject({ port: 9464, host: "127.0.0.1" });
    expect(() => loadConfig({ METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0" })).toThrow(/METRICS_HOST="0\.0\.0\.0" is reachable from other machines: set METRICS_TOKEN/);
    expect(loadConfig({ METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0", METRICS_TOKEN: "t".repeat(32) }).metrics.host).toBe("0.0.0.0");
    expect(() => loadConfig({ METRICS_PORT: "metrics" })).toThrow(/METRICS_PORT="metrics" \(a port number\)/);
    expect(() => loadConfig({ METRICS_TOKEN: "t".repeat(31) })).toThrow(/METRICS_TOKEN=\(value hidden\) \(at least 32 characters\)/);
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
