// PostgreSQL is SIGKILLed while the worker sends, and started again: the worker waits for it, finishes what it had
// in flight, and everything goes out with production timings (lease, sweep), duplicates at most the sends in flight.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDigestTick } from "../../jobs/daily-digest.ts";
import { createDb, type Db } from "../../src/db/client.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers, RECENTLY, startPipeline } from "../support/digest.ts";
import { captureLog } from "../support/log-capture.ts";
import { type RestartablePostgres, startRestartablePostgres } from "../support/postgres-server.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

const READERS = 150;
const CONCURRENCY = 5;
let postgres: RestartablePostgres;
let url: string;
let db: Db;
let sink: SmtpSink;

beforeAll(async () => {
  postgres = await startRestartablePostgres();
  url = await postgres.createDatabase("restart");
  db = createDb(url);
  await syncTopics(db);
  await ingestPapers(db, Array.from({ length: 3 }, (_, i) => ({ title: `Continual Learning Across Restarts, Part ${i + 1}`, abstract: abstractAbout("continual learning", i) })), RECENTLY);
  // Delivery hour 0: due whenever the test runs, so the digests are planned at the real time (a give-up window counts
  // from planning).
  for (let i = 0; i < READERS; i++) await addSubscriber(db, `r${i}@example.com`, { topics: ["continual-learning"], sendHour: 0 });
  sink = await startSmtpSink();
  sink.delayMs = 25; // a slow server, so the kill lands mid-run
}, 120_000);

afterAll(async () => {
  await sink?.stop();
  await db?.$disconnect();
  await postgres?.stop();
});

describe("a database restart while sending", () => {
  it("sends everything within 2 minutes of PostgreSQL coming back, leaves nothing planned, and duplicates at most the sends in flight", async () => {
    const { lines, log } = captureLog("info");
    // Production lease and sweep: recovery must not depend on test-only short timings.
    const pipeline = await startPipeline(db, url, sink.url, { DIGEST_WORKER_CONCURRENCY: String(CONCURRENCY), DIGEST_SEND_LEASE_SECONDS: "120", DIGEST_SWEEP_SECONDS: "30" }, { log });
    try {
      const tick = await runDigestTick(pipeline.tickDeps);
      expect(tick.planned).toBe(READERS);
      await eventually(() => sink.received.length >= 40, 60_000);

      await postgres.kill();
      const atKill = sink.received.length;
      await new Promise((r) => setTimeout(r, 5_000));
      // Only what was in flight could still arrive while the database was down.
      expect(sink.received.length - atKill).toBeLessThanOrEqual(CONCURRENCY);
      await postgres.start();
      const back = Date.now();

      await eventually(async () => (await db.digest.count({ where: { status: { in: ["planned", "sending"] } } })) === 0, 120_000);
      console.log(`database restart: all sent ${((Date.now() - back) / 1000).toFixed(1)} s after PostgreSQL came back`);
      expect(await db.digest.count({ where: { status: "sent" } })).toBe(READERS);
      const perReader = new Map<string, number>();
      for (const mail of sink.received) perReader.set(mail.to, (perReader.get(mail.to) ?? 0) + 1);
      expect(perReader.size).toBe(READERS);
      const duplicates = [...perReader.values()].reduce((sum, n) => sum + n - 1, 0);
      expect(duplicates).toBeLessThanOrEqual(CONCURRENCY);

      // One line when the database went away and one when it came back, no stack traces.
      expect(lines.filter((l) => /^database unreachable/.test(String(l.msg)))).toHaveLength(1);
      expect(lines.filter((l) => /^database reachable again/.test(String(l.msg)))).toHaveLength(1);
      expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
    } finally {
      await pipeline.stop();
    }
  }, 240_000);
});
