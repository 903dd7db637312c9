// The queue is a notice, the digest rows are the truth: a planned digest whose queue job was lost (a database crash
// between the plan and the enqueue) is found and sent, while one waiting out a retry backoff is left alone.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { planAllDigests } from "../../src/digest/plan.ts";
import { enqueueDigests } from "../../src/digest/queue.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers, startPipeline } from "../support/digest.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

let database: TestDatabase;
let sink: SmtpSink;
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  sink = await startSmtpSink();
  await ingestPapers(database.db, [{ title: "Continual Learning for Lost Jobs", abstract: abstractAbout("continual learning") }]);
});
afterAll(async () => {
  await sink?.stop();
  await database?.drop();
});
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

describe("the sweeper", () => {
  it("sends planned digests whose queue job was lost, and leaves a digest waiting out its backoff alone", async () => {
    const { db } = database;
    for (const name of ["lost1", "lost2", "lost3"]) await addSubscriber(db, `${name}@example.com`, { topics: ["continual-learning"] });
    // Planned and committed, but never queued: what a crash between the two leaves behind.
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-24" });
    pipeline = await startPipeline(db, database.url, sink.url, { DIGEST_SWEEP_SECONDS: "1" });
    const boss = pipeline.boss;
    // Tried once and refused: its retry is queued for an hour from now, and it has not been touched for longer.
    await addSubscriber(db, "waiting@example.com", { topics: ["continual-learning"] });
    const retryAt = new Date(Date.now() + 3600_000);
    await planAllDigests(db, { now: new Date(), date: "2026-11-24", onBatch: (ids) => enqueueDigests(boss, ids, retryAt) });
    const waiting = await db.digest.findFirstOrThrow({ where: { subscriber: { email: "waiting@example.com" } } });
    await db.digest.update({ where: { id: waiting.id }, data: { attempts: 1, retryAt, lastError: "421 try again later", updatedAt: new Date(Date.now() - 2 * 3600_000) } });

    await sink.waitFor(3, undefined, 30_000);
    expect(new Set(sink.received.map((m) => m.to))).toEqual(new Set(["lost1@example.com", "lost2@example.com", "lost3@example.com"]));
    // Several sweeps later the one waiting out its backoff is still waiting, and was not queued a second time.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(sink.to("waiting@example.com")).toHaveLength(0);
    expect((await db.digest.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe("planned");
    const jobs = await db.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM pgboss.job WHERE name = 'digest-send' AND state IN ('created', 'retry') AND data->'digestIds' ? $1`,
      waiting.id,
    );
    expect(Number(jobs[0]!.n)).toBe(1);
    expect(sink.received).toHaveLength(3);
  }, 60_000);
});
