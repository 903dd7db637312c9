// Helpers for digest tests: subscribers straight into the database, papers with a fixed first-seen time, and the
// real send pipeline (pg-boss queue + worker) against a test database and an SMTP sink.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.ts";
import { ingestPath } from "../../src/corpus/ingest.ts";
import type { Db } from "../../src/db/client.ts";
import { sendDeps, startDigestRuntime } from "../../src/digest/runtime.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { loadEmailTemplates } from "../../src/mail/templates.ts";
import { createMailer } from "../../src/mail/transport.ts";
import { TEST_SECRET } from "./service.ts";

export const BASE_URL = "https://digest.example.test";

export async function addSubscriber(db: Db, email: string, opts: { topics?: string[]; keywords?: string[]; timezone?: string; sendHour?: number; maxPapers?: number; status?: "active" | "paused" | "pending" | "unsubscribed" | "bounced" } = {}) {
  const topics = await db.topic.findMany({ where: { slug: { in: opts.topics ?? [] } } });
  return db.subscriber.create({
    data: {
      email,
      status: opts.status ?? "active",
      timezone: opts.timezone ?? "UTC",
      sendHour: opts.sendHour ?? 7,
      maxPapers: opts.maxPapers ?? 5,
      keywords: opts.keywords ?? [],
      confirmedAt: new Date("2026-01-01T00:00:00Z"),
      topics: { create: topics.map((t) => ({ topicId: t.id })) },
    },
  });
}

/**
 * Three days before the real now: for tests that plan with the real time (a give-up window counts from planning),
 * papers first seen then are inside the trending window whenever the tests run.
 */
export const RECENTLY = new Date(Date.now() - 3 * 86400_000);

/** Writes a corpus page of generated papers and ingests it as first seen at `seenAt`. */
export async function ingestPapers(db: Db, papers: { title: string; abstract: string }[], seenAt = new Date("2026-01-01T00:00:00Z")) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-papers-"));
  const file = path.join(dir, "page.txt");
  fs.writeFileSync(file, `Get trending papers in your email inbox!\n${papers.map((p, i) => `${i === 0 ? "Subscribe" : ""}${p.title}\n${p.abstract}`).join("\n")}\n`);
  const report = await ingestPath(db, file, () => seenAt);
  fs.rmSync(dir, { recursive: true, force: true });
  return report;
}

/** A well-formed abstract about `subject`, long enough to be read as an abstract. */
export function abstractAbout(subject: string, n = 0) {
  return `This paper studies ${subject} in depth (variant ${n}). We propose a method for ${subject} and evaluate it on standard benchmarks. Results show consistent gains over strong baselines across many settings, and we release code for others.`;
}

/** The send pipeline as a worker process runs it; `opts.log` captures its log lines, `opts.runtime` tunes it. */
export async function startPipeline(db: Db, databaseUrl: string, smtpUrl: string, env: Record<string, string> = {}, opts: { log?: Logger; runtime?: Record<string, unknown> } = {}) {
  const config = loadConfig({
    NODE_ENV: "test",
    APP_SECRET: TEST_SECRET,
    PUBLIC_BASE_URL: BASE_URL,
    SMTP_URL: smtpUrl,
    LOG_LEVEL: "silent",
    DIGEST_RETRY_DELAY_SECONDS: "1",
    DIGEST_SEND_LEASE_SECONDS: "3",
    ...env,
  });
  const log = opts.log ?? createLogger(config.logLevel);
  const mailer = createMailer(config, smtpUrl);
  const deps = sendDeps(config, { db, mailer, emails: await loadEmailTemplates(), log, appSecret: TEST_SECRET });
  const runtime = await startDigestRuntime(config, databaseUrl, deps, { worker: true, ...opts.runtime });
  return {
    config,
    deps,
    boss: runtime.boss,
    tickDeps: { db, boss: runtime.boss, log },
    async stop() {
      await runtime.stop();
      mailer.close();
    },
  };
}

/** Polls until `check` is true (the worker runs in the background). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
