// The one place that reads the environment. Everything else receives the parsed Config.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import dotenv from "dotenv";
import { validate as validateCron } from "node-cron";
import { z } from "zod";

/** The folder of package.json: found the same from src/ (tsx) and from dist/src/ (the compiled build). */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const flag = z
  .enum(["0", "1", "true", "false", "yes", "no", ""])
  .default("0")
  .transform((v) => v === "1" || v === "true" || v === "yes");

const cron = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => validateCron(v), "a cron expression such as '*/15 * * * *'");

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined));

const portNumber = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: portNumber(3000),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  TRUST_PROXY: z.string().default("loopback"),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  PG_DATA_DIR: z.string().default(".data/postgres"),
  EMBEDDED_PG_PORT: portNumber(54329),
  CORPUS_DIR: z.string().default("corpus"),
  CORPUS_RESCAN_CRON: cron("30 3 * * *"),
  APP_SECRET: optionalString.pipe(z.string().min(32, "at least 32 characters").optional()),
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/ }).optional()),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
  SMTP_RATE_PER_SECOND: z.coerce.number().int().min(0).default(0),
  MAIL_FROM: z
    .string()
    .default("Trending Papers Digest <digest@localhost>")
    .refine((v) => senderAddress(v) !== undefined, "an address, e.g. 'Trending Papers Digest <digest@example.com>' or digest@example.com"),
  POSTAL_ADDRESS: z.string().default("Trending Papers Digest, 1 Example Street, 00000 Example City"),
  LIST_ID: optionalString,
  DKIM_DOMAIN: optionalString,
  DKIM_SELECTOR: optionalString,
  DKIM_PRIVATE_KEY: optionalString,
  DEV_MAIL_PORT: portNumber(1025),
  RATE_LIMIT_DISABLED: flag,
  SUBSCRIBE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(20),
  SUBSCRIBE_LIMIT_WINDOW_MINUTES: z.coerce.number().int().min(1).default(15),
  CONFIRMATION_EMAILS_PER_DAY: z.coerce.number().int().min(1).default(3),
  DIGEST_CRON: cron("*/15 * * * *"),
  DIGEST_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(10),
  DIGEST_SEND_LEASE_SECONDS: z.coerce.number().int().min(1).default(120),
  DIGEST_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).default(30),
  DIGEST_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  SOURCES: optionalString.pipe(z.string().regex(/^\s*(folder|huggingface|arxiv)(\s*,\s*(folder|huggingface|arxiv))*\s*$/, "a comma-separated list of folder, huggingface, arxiv").optional()),
  SOURCES_CONTACT: optionalString,
  SOURCES_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),
  SOURCES_MAX_RESPONSE_MB: z.coerce.number().positive().max(1024).default(20),
  SOURCES_RETRIES: z.coerce.number().int().min(0).max(10).default(4),
  SOURCES_RETRY_BASE_SECONDS: z.coerce.number().positive().max(600).default(2),
  SOURCES_MAX_RETRY_AFTER_SECONDS: z.coerce.number().min(0).max(86400).default(600),
  HF_API_BASE_URL: z.url({ protocol: /^https?$/ }).default("https://huggingface.co"),
  HF_CRON: cron("7 * * * *"),
  HF_DAYS: z.coerce.number().int().min(1).max(14).default(2),
  ARXIV_API_BASE_URL: z.url({ protocol: /^https?$/ }).default("https://export.arxiv.org"),
  ARXIV_CATEGORIES: z
    .string()
    .default("cs.LG,cs.CL,cs.CV,cs.AI")
    .refine((v) => v.split(",").every((c) => /^[a-z-]+(\.[A-Za-z-]+)?$/.test(c.trim())), "a comma-separated list of arXiv categories such as cs.LG,cs.CL"),
  ARXIV_CRON: cron("0 2 * * *"),
  ARXIV_MAX_RESULTS: z.coerce.number().int().min(1).max(10_000).default(300),
  ARXIV_PAGE_SIZE: z.coerce.number().int().min(1).max(2000).default(100),
  ARXIV_REQUEST_INTERVAL_SECONDS: z.coerce.number().min(0).max(60).default(3),
  TRENDING_WINDOW_DAYS: z.coerce.number().positive().max(365).default(7),
  METRICS_TOKEN: optionalString.pipe(z.string().min(32, "at least 32 characters").regex(/^\S+$/, "no spaces").optional()),
  METRICS_PORT: optionalString.pipe(z.string().regex(/^\d+$/, "a port number").transform(Number).pipe(z.number().int().min(1).max(65535)).optional()),
  METRICS_HOST: z.string().default("127.0.0.1"),
  ADMIN_USER: z.string().regex(/^[^:\s]{1,64}$/, "1-64 characters, no colon or spaces").default("admin"),
  ADMIN_PASSWORD: optionalString.pipe(z.string().min(16, "at least 16 characters").optional()),
  DIGEST_GIVE_UP_HOURS: z.coerce.number().positive().max(24 * 14).default(24),
  DIGEST_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  DATABASE_WAIT_SECONDS: z.coerce.number().int().min(0).default(300),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty", ""]).default(""),
});

export class ConfigError extends Error {}

const SECRET_VARIABLES = new Set(["APP_SECRET", "SMTP_URL", "DKIM_PRIVATE_KEY", "METRICS_TOKEN", "ADMIN_PASSWORD"]);

export function loadConfig(env: Record<string, string | undefined> = readEnvironment()) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    // A secret's value stays out of the message (it goes to the terminal and the log).
    const shown = SECRET_VARIABLES.has(name) ? "(value hidden)" : JSON.stringify(env[name] ?? "");
    throw new ConfigError(`Invalid configuration: ${name}=${shown} (${issue.message})`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  if (production && !e.APP_SECRET) {
    throw new ConfigError("Invalid configuration: APP_SECRET is required in production (at least 32 random characters)");
  }
  if (production && !e.SMTP_URL) {
    throw new ConfigError("Invalid configuration: SMTP_URL is required in production (e.g. smtps://user:pass@smtp.example.com:465)");
  }
  if (production) requireRealPublicSetup(e.PUBLIC_BASE_URL, e.MAIL_FROM);
  const dkim = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY];
  if (dkim.some(Boolean) && !dkim.every(Boolean)) {
    throw new ConfigError("Invalid configuration: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY must be set together");
  }
  if (e.METRICS_PORT !== undefined && !e.METRICS_TOKEN && !isLoopback(e.METRICS_HOST)) {
    throw new ConfigError(`Invalid configuration: METRICS_HOST=${JSON.stringify(e.METRICS_HOST)} is reachable from other machines: set METRICS_TOKEN too, or bind the metrics port to 127.0.0.1`);
  }
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  const sources = sourceSettings(e, publicBaseUrl);
  return Object.freeze({
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl,
    trustProxy: e.TRUST_PROXY,
    databaseUrl: e.DATABASE_URL,
    pgDataDir: path.resolve(PROJECT_ROOT, e.PG_DATA_DIR),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    corpusDir: path.resolve(PROJECT_ROOT, e.CORPUS_DIR),
    corpusRescanCron: e.CORPUS_RESCAN_CRON,
    /** Undefined outside production until the app picks a development secret (see db/secret handling in main). */
    appSecret: e.APP_SECRET,
    smtp: {
      url: e.SMTP_URL,
      poolSize: e.SMTP_POOL_SIZE,
      ratePerSecond: e.SMTP_RATE_PER_SECOND,
      devMailPort: e.DEV_MAIL_PORT,
    },
    mail: {
      from: e.MAIL_FROM,
      postalAddress: e.POSTAL_ADDRESS,
      listId: e.LIST_ID ?? `Trending Papers Digest <digest.${new URL(publicBaseUrl).hostname}>`,
      dkim: e.DKIM_DOMAIN
        ? { domainName: e.DKIM_DOMAIN, keySelector: e.DKIM_SELECTOR!, privateKey: e.DKIM_PRIVATE_KEY!.replace(/\\n/g, "\n") }
        : undefined,
    },
    limits: {
      disabled: e.RATE_LIMIT_DISABLED,
      subscribePerIp: e.SUBSCRIBE_LIMIT_PER_IP,
      subscribeWindowMs: e.SUBSCRIBE_LIMIT_WINDOW_MINUTES * 60_000,
      confirmationEmailsPerDay: e.CONFIRMATION_EMAILS_PER_DAY,
    },
    digest: {
      cron: e.DIGEST_CRON,
      workerConcurrency: e.DIGEST_WORKER_CONCURRENCY,
      /** How long a claimed digest belongs to its worker; after that (a killed worker) another may send it. */
      sendLeaseSeconds: e.DIGEST_SEND_LEASE_SECONDS,
      retryDelaySeconds: e.DIGEST_RETRY_DELAY_SECONDS,
      /** Temporary refusals by one reader's mailbox (4xx to RCPT TO) before that digest is given up. */
      maxAttempts: e.DIGEST_MAX_ATTEMPTS,
      /** Failures of the server (421, connections, timeouts) never count: a digest is given up this long after planning. */
      giveUpHours: e.DIGEST_GIVE_UP_HOURS,
      /** How often each worker process looks for digests nobody is working on (lost queue jobs, expired claims). */
      sweepSeconds: e.DIGEST_SWEEP_SECONDS,
    },
    sources,
    /** Prometheus: /metrics on the app's port with the token; a separate port (loopback by default) for any process. */
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    /** The operator dashboard (/admin), behind basic auth; off unless a password is set. */
    admin: e.ADMIN_PASSWORD ? { user: e.ADMIN_USER, password: e.ADMIN_PASSWORD } : undefined,
    /** How long `digest run` waits for an unreachable database before it stops (workers wait as long as it takes). */
    databaseWaitSeconds: e.DATABASE_WAIT_SECONDS,
    logLevel: e.LOG_LEVEL,
    /** JSON lines for a log pipeline; readable lines by default in development. */
    logFormat: (e.LOG_FORMAT || (e.NODE_ENV === "development" ? "pretty" : "json")) as "json" | "pretty",
  });
}

export type Config = ReturnType<typeof loadConfig>;

export const SOURCE_NAMES = ["folder", "huggingface", "arxiv"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Live sources and how politely they are fetched. Production fetches Hugging Face by default (see README). */
function sourceSettings(e: z.infer<typeof envSchema>, publicBaseUrl: string) {
  const production = e.NODE_ENV === "production";
  const enabled = [...new Set((e.SOURCES ?? (production ? "folder,huggingface" : "folder")).split(",").map((s) => s.trim()))] as SourceName[];
  // Who to contact about our requests: SOURCES_CONTACT, else the sender address of our emails.
  const contact = e.SOURCES_CONTACT ?? /<([^>]+)>/.exec(e.MAIL_FROM)?.[1] ?? e.MAIL_FROM;
  const placeholderContact = /@(localhost|example\.(com|org|net))$|^https?:\/\/(localhost|127\.)/i.test(contact.trim());
  if (production && enabled.includes("arxiv")) {
    // arXiv asks API clients to identify themselves and to wait 3 s between requests.
    if (placeholderContact) throw new ConfigError(`Invalid configuration: SOURCES_CONTACT is required with SOURCES=arxiv in production (an address or URL where arXiv can reach the operator; now "${contact}")`);
    if (e.ARXIV_REQUEST_INTERVAL_SECONDS < 3) throw new ConfigError("Invalid configuration: ARXIV_REQUEST_INTERVAL_SECONDS must be at least 3 in production (arXiv's guidance for API clients)");
  }
  const contactPart = /^https?:\/\//i.test(contact) ? contact : `mailto:${contact}`;
  return {
    enabled,
    contact,
    placeholderContact,
    userAgent: `TrendingPapersDigest/0.1 (+${publicBaseUrl}; ${contactPart})`,
    fetch: {
      timeoutMs: Math.round(e.SOURCES_TIMEOUT_SECONDS * 1000),
      maxResponseBytes: Math.round(e.SOURCES_MAX_RESPONSE_MB * 1024 * 1024),
      retries: e.SOURCES_RETRIES,
      retryBaseMs: Math.round(e.SOURCES_RETRY_BASE_SECONDS * 1000),
      maxRetryAfterMs: Math.round(e.SOURCES_MAX_RETRY_AFTER_SECONDS * 1000),
    },
    folder: { cron: e.CORPUS_RESCAN_CRON },
    huggingface: { baseUrl: e.HF_API_BASE_URL.replace(/\/+$/, ""), cron: e.HF_CRON, days: e.HF_DAYS },
    arxiv: {
      baseUrl: e.ARXIV_API_BASE_URL.replace(/\/+$/, ""),
      categories: e.ARXIV_CATEGORIES.split(",").map((c) => c.trim()),
      cron: e.ARXIV_CRON,
      maxResults: e.ARXIV_MAX_RESULTS,
      pageSize: Math.min(e.ARXIV_PAGE_SIZE, e.ARXIV_MAX_RESULTS),
      requestIntervalMs: Math.round(e.ARXIV_REQUEST_INTERVAL_SECONDS * 1000),
    },
    /** Papers first seen longer ago than this are no longer candidates for a digest. */
    trendingWindowDays: e.TRENDING_WINDOW_DAYS,
  };
}

/**
 * Production mail must point at the real site and come from a real domain: links to localhost and a sender at
 * localhost (the development defaults) would reach readers' inboxes, and the unsubscribe link would not work.
 */
function requireRealPublicSetup(publicBaseUrl: string | undefined, mailFrom: string) {
  if (!publicBaseUrl) {
    throw new ConfigError("Invalid configuration: PUBLIC_BASE_URL is required in production (the https address readers use, e.g. https://digest.example.com)");
  }
  const url = new URL(publicBaseUrl);
  if (url.protocol !== "https:") throw new ConfigError(`Invalid configuration: PUBLIC_BASE_URL=${JSON.stringify(publicBaseUrl)} must use https in production`);
  if (isLocalHost(url.hostname)) throw new ConfigError(`Invalid configuration: PUBLIC_BASE_URL=${JSON.stringify(publicBaseUrl)} points at this machine; emails need the public address`);
  const domain = senderAddress(mailFrom)!.domain;
  if (isLocalHost(domain) || !domain.includes(".") || /^\[.*\]$/.test(domain) || /\.(local|localhost|invalid|internal)$/.test(domain)) {
    throw new ConfigError(`Invalid configuration: MAIL_FROM=${JSON.stringify(mailFrom)} needs a real domain in production (e.g. 'Trending Papers Digest <digest@example.com>')`);
  }
}

/** An address only this machine can reach. */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || /^127\./.test(h) || h === "::1";
}

function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "::1" || host === "0.0.0.0";
}

/** The address in a From value ("Name <a@b>" or "a@b"), with its domain lower-cased; undefined if there is none. */
export function senderAddress(from: string): { address: string; domain: string } | undefined {
  const match = /^\s*(?:[^<>]*<([^<>\s]+@[^<>\s]+)>|([^<>\s]+@[^<>\s]+))\s*$/.exec(from);
  const address = match?.[1] ?? match?.[2];
  if (!address) return undefined;
  return { address, domain: address.slice(address.lastIndexOf("@") + 1).toLowerCase() };
}

/**
 * Settings that work but are probably a mistake, for the log at start. DKIM alignment is DMARC's relaxed rule
 * approximated without a public-suffix list: the From domain and the signing domain are equal, or one is a
 * subdomain of the other.
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.limits.disabled) warnings.push("RATE_LIMIT_DISABLED is set: subscribe rate limits are off (benchmarks and local load tests only)");
  const dkim = config.mail.dkim?.domainName.toLowerCase();
  const from = senderAddress(config.mail.from)?.domain;
  if (dkim && from && !(from === dkim || from.endsWith(`.${dkim}`) || dkim.endsWith(`.${from}`))) {
    warnings.push(`DKIM_DOMAIN ${dkim} is not aligned with the From domain ${from} (MAIL_FROM): DMARC will not pass on this signature; sign with ${from} or a parent domain of it`);
  }
  return warnings;
}

function readEnvironment() {
  // .env fills in only what the real environment leaves unset.
  dotenv.config({ path: path.join(PROJECT_ROOT, ".env"), quiet: true });
  return process.env;
}
