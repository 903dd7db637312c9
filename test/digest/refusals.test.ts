// Temporary SMTP failures. A refusal that concerns the whole server (421, lost connections, timeouts) slows the whole
// sender down and never uses up a reader's attempts: the digest is given up only after DIGEST_GIVE_UP_HOURS. A
// temporary refusal of one mailbox (450 on RCPT TO) keeps its per-digest backoff and limit. Operators see one warning
// when failures start, a summary per interval while they continue, and one line when they stop.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { loadConfig } from "../../src/config.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { enqueueDigests } from "../../src/digest/queue.ts";
import { sendDeps } from "../../src/digest/runtime.ts";
import { sendDigests } from "../../src/digest/send.ts";
import { createLogger } from "../../src/log.ts";
import { loadEmailTemplates } from "../../src/mail/templates.ts";
import type { Mailer } from "../../src/mail/transport.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers, RECENTLY, startPipeline } from "../support/digest.ts";
import { captureLog } from "../support/log-capture.ts";
import { TEST_SECRET } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

let database: TestDatabase;
let sink: SmtpSink;
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  sink = await startSmtpSink();
  await ingestPapers(database.db, Array.from({ length: 4 }, (_, i) => ({ title: `Continual Learning Under Storms, Part ${i + 1}`, abstract: abstractAbout("continual learning", i) })), RECENTLY);
});
afterAll(async () => {
  await sink?.stop();
  await database?.drop();
});
beforeEach(async () => {
  sink.clear();
  sink.failWith = undefined;
  sink.failDataWith = undefined;
  await database.db.digest.deleteMany();
  await database.db.subscriber.deleteMany();
  await database.db.suppression.deleteMany();
});
afterEach(async () => {
  sink.failWith = undefined;
  sink.failDataWith = undefined;
  await pipeline?.stop();
  pipeline = undefined;
});

/** A reproducible stream of numbers in [0, 1) (mulberry32). */
function seededRandom(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function addReaders(count: number, prefix = "reader") {
  for (let i = 0; i < count; i++) await addSubscriber(database.db, `${prefix}${i}@example.com`, { topics: ["continual-learning"] });
}

/** Plans today's digests now (the give-up window counts from planning) and queues them, as the scheduler does. */
async function planAndQueue() {
  const now = new Date();
  await planAllDigests(database.db, { now, date: now.toISOString().slice(0, 10), onBatch: (ids) => enqueueDigests(pipeline!.boss, ids) });
}

const openDigests = () => database.db.digest.count({ where: { status: { in: ["planned", "sending"] } } });

describe("a server that refuses most messages (421)", () => {
  it("delivers every digest exactly once while 70% of messages are refused, however small DIGEST_MAX_ATTEMPTS is", async () => {
    const READERS = 40;
    await addReaders(READERS);
    const random = seededRandom(7);
    let refusals = 0;
    sink.failDataWith = () => (random() < 0.7 ? (refusals++, { code: 421, message: "4.7.0 Too many messages, try again later" }) : undefined);
    pipeline = await startPipeline(database.db, database.url, sink.url, { DIGEST_MAX_ATTEMPTS: "2", DIGEST_WORKER_CONCURRENCY: "8" });
    await planAndQueue();

    await eventually(async () => (await openDigests()) === 0, 180_000);
    expect(await database.db.digest.count({ where: { status: "failed" } })).toBe(0);
    expect(await database.db.digest.count({ where: { status: "sent" } })).toBe(READERS);
    const perReader = new Map<string, number>();
    for (const mail of sink.received) perReader.set(mail.to, (perReader.get(mail.to) ?? 0) + 1);
    expect(perReader.size).toBe(READERS);
    expect([...perReader.values()].every((n) => n === 1)).toBe(true);
    // The storm was real: many refusals, and digests that needed more tries than DIGEST_MAX_ATTEMPTS.
    expect(refusals).toBeGreaterThan(READERS);
    const { _max } = await database.db.digest.aggregate({ _max: { attempts: true } });
    expect(_max.attempts).toBeGreaterThan(2);
    // Nobody is blamed for the server's refusals.
    expect(await database.db.subscriber.count({ where: { status: "active" } })).toBe(READERS);
    expect(await database.db.suppression.count()).toBe(0);
  }, 200_000);

  it("gives up on a digest only when DIGEST_GIVE_UP_HOURS have passed since it was planned, not after a count of refusals", async () => {
    await addReaders(1, "patient");
    sink.failDataWith = () => ({ code: 421, message: "4.3.2 Service shutting down, try again later" });
    // 0.002 hours = 7.2 seconds.
    pipeline = await startPipeline(database.db, database.url, sink.url, { DIGEST_MAX_ATTEMPTS: "2", DIGEST_GIVE_UP_HOURS: "0.002" });
    await planAndQueue();
    const digest = await database.db.digest.findFirstOrThrow();

    await eventually(async () => (await database.db.digest.findUniqueOrThrow({ where: { id: digest.id } })).attempts >= 4, 30_000);
    expect((await database.db.digest.findUniqueOrThrow({ where: { id: digest.id } })).status).not.toBe("failed");

    await eventually(async () => (await database.db.digest.findUniqueOrThrow({ where: { id: digest.id } })).status === "failed", 60_000);
    const failed = await database.db.digest.findUniqueOrThrow({ where: { id: digest.id } });
    expect(failed.lastError).toMatch(/not delivered within 0\.002 h/);
    expect(Date.now() - failed.plannedAt.getTime()).toBeGreaterThanOrEqual(7_200);
    expect(await database.db.subscriber.count({ where: { status: "active" } })).toBe(1);
    expect(await database.db.suppression.count()).toBe(0);
  }, 120_000);
});

describe("a mailbox that refuses temporarily (450 on RCPT TO)", () => {
  it("keeps its per-digest backoff and limit, while everyone else is delivered", async () => {
    await addReaders(5);
    await addSubscriber(database.db, "busy@example.com", { topics: ["continual-learning"] });
    let refusals = 0;
    sink.failWith = (to) => (to === "busy@example.com" ? (refusals++, { code: 450, message: "4.2.1 Mailbox busy, try again later" }) : undefined);
    pipeline = await startPipeline(database.db, database.url, sink.url, { DIGEST_MAX_ATTEMPTS: "3" });
    await planAndQueue();

    await eventually(async () => (await openDigests()) === 0, 60_000);
    const busy = await database.db.digest.findFirstOrThrow({ where: { subscriber: { email: "busy@example.com" } } });
    expect(busy.status).toBe("failed");
    expect(busy.lastError).toMatch(/gave up after 3 temporary refusals.*450/);
    expect(refusals).toBe(3);
    expect(await database.db.digest.count({ where: { status: "sent" } })).toBe(5);
    // A temporary refusal is no bounce.
    expect((await database.db.subscriber.findUniqueOrThrow({ where: { email: "busy@example.com" } })).status).toBe("active");
    expect(await database.db.suppression.count()).toBe(0);
  }, 90_000);
});

describe("visible temporary failures", () => {
  it("logs one warning when they start, a summary by class while they continue, and one line when they stop, without addresses", async () => {
    await addReaders(6, "watched");
    let refusals = 8;
    sink.failDataWith = () => (refusals-- > 0 ? { code: 421, message: "4.7.0 Try again later, <watched0@example.com>" } : undefined);
    const { lines, log } = captureLog("info");
    pipeline = await startPipeline(database.db, database.url, sink.url, {}, { log, runtime: { failureReport: { summaryMs: 400, quietMs: 4000 } } });
    await planAndQueue();

    await eventually(async () => (await openDigests()) === 0, 60_000);
    await eventually(() => lines.some((l) => /temporary send failures stopped/.test(String(l.msg))), 10_000);

    const started = lines.filter((l) => /temporary send failures started/.test(String(l.msg)));
    const summaries = lines.filter((l) => /temporary send failures continue/.test(String(l.msg)));
    const stopped = lines.filter((l) => /temporary send failures stopped/.test(String(l.msg)));
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ level: 40, failureClass: "4xx", digestId: expect.any(String), subscriberId: expect.any(String) });
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    for (const s of summaries) expect(s).toMatchObject({ level: 40, failures: { "4xx": expect.any(Number), connection: expect.any(Number), timeout: expect.any(Number) } });
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatchObject({ level: 40, total: 8 });
    // Lines are in order, and no address (ours or the server's echo) reaches the log.
    expect(lines.indexOf(started[0]!)).toBeLessThan(lines.indexOf(stopped[0]!));
    expect(JSON.stringify(lines)).not.toMatch(/@example\.com/);
  }, 90_000);
});

describe("giving up", () => {
  it("never fails or empties a digest whose claim another worker has taken over meanwhile", async () => {
    await addReaders(1, "contested");
    // Planned two days ago: past the give-up window at its next failure.
    await planAllDigests(database.db, { now: new Date(Date.now() - 48 * 3600_000), date: "2026-11-24" });
    const digest = await database.db.digest.findFirstOrThrow();
    expect(digest.paperIds.length).toBeGreaterThan(0);
    const config = loadConfig({ NODE_ENV: "test", APP_SECRET: TEST_SECRET, SMTP_URL: sink.url, PUBLIC_BASE_URL: "https://digest.example.test" });
    // While this worker's send hangs, its lease runs out and another worker claims the digest; then the server refuses.
    const slowMailer: Mailer = {
      async send() {
        await database.db.digest.update({ where: { id: digest.id }, data: { claimToken: randomUUID(), claimedAt: new Date() } });
        throw Object.assign(new Error("Message failed: 421 4.7.0 try again later"), { responseCode: 421, command: "DATA" });
      },
      close() {},
    };
    const deps = sendDeps(config, { db: database.db, mailer: slowMailer, emails: await loadEmailTemplates(), log: createLogger("silent"), appSecret: TEST_SECRET });
    await sendDigests(deps, [digest.id]);

    const after = await database.db.digest.findUniqueOrThrow({ where: { id: digest.id } });
    expect(after.status).toBe("sending"); // the other worker's, untouched
    expect(after.paperIds).toEqual(digest.paperIds);
  });
});
