// The one place that reads the environment. Everything else receives the parsed Config.
import path from "node:path";
import { fileURLToPath } from "node:url";
import dotenv from "dotenv";
import { validate as validateCron } from "node-cron";
import { z } from "zod";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

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
  MAIL_FROM: z.string().default("Trending Papers Digest <digest@localhost>"),
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
  DIGEST_GIVE_UP_HOURS: z.coerce.number().positive().max(24 * 14).default(24),
  DIGEST_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  DATABASE_WAIT_SECONDS: z.coerce.number().int().min(0).default(300),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty", ""]).default(""),
});

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = readEnvironment()) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(env[name] ?? "")} (${issue.message})`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  if (production && !e.APP_SECRET) {
    throw new ConfigError("Invalid configuration: APP_SECRET is required in production (at least 32 random characters)");
  }
  if (production && !e.SMTP_URL) {
    throw new ConfigError("Invalid configuration: SMTP_URL is required in production (e.g. smtps://user:pass@smtp.example.com:465)");
  }
  const dkim = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY];
  if (dkim.some(Boolean) && !dkim.every(Boolean)) {
    throw new ConfigError("Invalid configuration: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY must be set together");
  }
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
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
    /** How long `digest run` waits for an unreachable database before it stops (workers wait as long as it takes). */
    databaseWaitSeconds: e.DATABASE_WAIT_SECONDS,
    logLevel: e.LOG_LEVEL,
    /** JSON lines for a log pipeline; readable lines by default in development. */
    logFormat: (e.LOG_FORMAT || (e.NODE_ENV === "development" ? "pretty" : "json")) as "json" | "pretty",
  });
}

export type Config = ReturnType<typeof loadConfig>;

function readEnvironment() {
  // .env fills in only what the real environment leaves unset.
  dotenv.config({ path: path.join(PROJECT_ROOT, ".env"), quiet: true });
  return process.env;
}
