// Helpers for digest tests: subscribers straight into the database, papers with a fixed first-seen time, and the
// real send pipeline (pg-boss queue + worker) against a test database and an SMTP sink.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.ts";
import { ingestPath } from "../../src/corpus/ingest.ts";
import type { Db } from "../../src/db/client.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import type { Prisma } from "../../src/generated/prisma/client.ts";
import { sendDeps, startDigestRuntime } from "../../src/digest/runtime.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { loadEmailTemplates } from "../../src/mail/templates.ts";
import { createMailer } from "../../src/mail/transport.ts";
import { TEST_SECRET } from "./service.ts";

export const BASE_URL = "https://digest.example.test";

export async function addSubscriber(
  db: Db,
  email: string,
  opts: {
    topics?: string[];
    keywords?: string[];
    timezone?: string;
    sendHour?: number;
    maxPapers?: number;
    status?: "active" | "paused" | "pending" | "unsubscribed" | "bounced";
    cadence?: "daily" | "weekly";
    weekday?: number;
    confirmedAt?: Date;
    pausedUntil?: Date;
  } = {},
) {
  const topics = await db.topic.findMany({ where: { slug: { in: opts.topics ?? [] } } });
  return db.subscriber.create({
    data: {
      email,
      status: opts.status ?? "active",
      timezone: opts.timezone ?? "UTC",
      sendHour: opts.sendHour ?? 7,
      maxPapers: opts.maxPapers ?? 5,
      keywords: opts.keywords ?? [],
      cadence: opts.cadence ?? "daily",
      weekday: opts.weekday ?? 1,
      pausedUntil: opts.pausedUntil,
      confirmedAt: opts.confirmedAt ?? new Date("2026-01-01T00:00:00Z"),
      topics: { create: topics.map((t) => ({ topicId: t.id })) },
    },
  });
}

/**
 * Three days before the real now: for tests that plan with the real time (a give-up window counts from planning),
 * papers first seen then are inside the trending window whenever the tests run.
 */
export const RECENTLY = new Date(Date.now() - 3 * 86400_000);

/**
 * Writes a corpus page of generated papers and ingests it as first seen at `seenAt` (by default the day before the
 * tests' usual planning date, 2026-11-24: papers older than the trending window are no candidates).
 */
export async function ingestPapers(db: Db, papers: { title: string; abstract: string }[], seenAt = new Date("2026-11-23T00:00:00Z")) {
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

/**
 * Plans every active reader's digest for `date` and sends the planned ones through the real send path (render, SMTP,
 * record) to the test service's SMTP sink, with links to the service: what a reader's inbox holds after a digest run.
 */
export async function planAndSendDigests(
  service: { database: { db: Db }; sink: { url: string }; baseUrl: string },
  now: Date,
  date = now.toISOString().slice(0, 10),
) {
  const { db } = service.database;
  const { sendDigests } = await import("../../src/digest/send.ts");
  const planned: string[] = [];
  await planAllDigests(db, { now, date, onBatch: (ids) => void planned.push(...ids) });
  const config = loadConfig({ NODE_ENV: "test", APP_SECRET: TEST_SECRET, PUBLIC_BASE_URL: service.baseUrl, SMTP_URL: service.sink.url, LOG_LEVEL: "silent" });
  const mailer = createMailer(config, service.sink.url);
  try {
    const deps = sendDeps(config, { db, mailer, emails: await loadEmailTemplates(), log: createLogger("silent"), appSecret: TEST_SECRET, now: () => now });
    return await sendDigests(deps, planned);
  } finally {
    mailer.close();
  }
}

/**
 * A digest's papers as a test reads them, one item per paper: each with its paper, its digest's date and reader, and
 * why it is there (the evidence row), in date and position order. `digest` filters the digests (reader, date).
 */
export async function itemsOf(db: Db, digest: Prisma.DigestWhereInput) {
  const digests = await db.digest.findMany({
    where: digest,
    select: { id: true, localDate: true, paperIds: true, evidenceIds: true, subscriber: { select: { id: true, email: true } } },
  });
  const items = digests.flatMap((d) => d.paperIds.map((paperId, i) => ({ digestId: d.id, subscriberId: d.subscriber.id, paperId, position: i + 1, evidenceId: d.evidenceIds[i]!, digest: d })));
  const [papers, evidence] = await Promise.all([
    db.paper.findMany({ where: { id: { in: items.map((i) => i.paperId) } } }),
    db.digestEvidence.findMany({ where: { id: { in: items.map((i) => i.evidenceId) } } }),
  ]);
  const paperById = new Map(papers.map((p) => [p.id, p]));
  const evidenceById = new Map(evidence.map((e) => [e.id, e]));
  return items
    .map((i) => {
      const why = evidenceById.get(i.evidenceId)!;
      return { ...i, paper: paperById.get(i.paperId)!, matchedTopics: why.topics, matchedKeywords: why.keywords, reasons: why.reasons };
    })
    .sort((a, b) => a.digest.localDate.getTime() - b.digest.localDate.getTime() || a.digestId.localeCompare(b.digestId) || a.position - b.position);
}

/** An evidence row for a hand-made digest item: the paper matched these topics. */
export async function evidenceFor(db: Db, paperId: number, topics: string[]): Promise<number> {
  const row = await db.digestEvidence.create({ data: { paperId, fingerprint: `test:${paperId}:${topics.join(",")}:${Math.random()}`, topics, keywords: [], reasons: [] } });
  return row.id;
}

/** A sent digest of one paper, made by hand (for pages that show a digest). */
export async function addSentDigest(db: Db, subscriberId: string, paperId: number, topics: string[]) {
  const evidenceId = await evidenceFor(db, paperId, topics);
  return db.digest.create({ data: { subscriberId, localDate: new Date("2026-01-02"), status: "sent", paperIds: [paperId], evidenceIds: [evidenceId] } });
}
