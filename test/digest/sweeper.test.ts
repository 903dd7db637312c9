// The queue is a notice, the digest rows are the truth: a planned digest whose queue job was lost (a database crash
// between the plan and the enqueue) is found and sent, while one waiting out a retry backoff is left alone. The
// search for lost jobs is one anti-join run every DIGEST_SWEEP_SECONDS, expired claims are looked for about once a
// lease, and a slow sweep is never stacked on (at 100k planned digests, sweeps piling up held the whole pool).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { planAllDigests } from "../../src/digest/plan.ts";
import { DIGEST_QUEUE, enqueueDigests, LOST_DIGESTS_SQL } from "../../src/digest/queue.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers, RECENTLY, startPipeline } from "../support/digest.ts";
import { captureLog } from "../support/log-capture.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

let database: TestDatabase;
let sink: SmtpSink;
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  sink = await startSmtpSink();
  await ingestPapers(database.db, [{ title: "Continual Learning for Lost Jobs", abstract: abstractAbout("continual learning") }], RECENTLY);
});
afterAll(async () => {
  await sink?.stop();
  await database?.drop();
});
beforeEach(async () => {
  sink.clear();
  await database.db.digest.deleteMany();
  await database.db.subscriber.deleteMany();
  await database.db.$executeRawUnsafe(`DELETE FROM pgboss.job WHERE name = '${DIGEST_QUEUE}'`).catch(() => {});
});
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

/** Plans a digest for each new reader, committed but never queued (a job lost), last touched an hour ago. */
async function planLost(names: string[], date = "2026-11-24") {
  const { db } = database;
  for (const name of names) await addSubscriber(db, `${name}@example.com`, { topics: ["continual-learning"] });
  await planAllDigests(db, { now: new Date(), date });
  const emails = names.map((n) => `${n}@example.com`);
  await db.digest.updateMany({ where: { subscriber: { email: { in: emails } } }, data: { updatedAt: new Date(Date.now() - 3 * 3600_000) } });
  return db.digest.findMany({ where: { subscriber: { email: { in: emails } } } });
}

describe("the sweeper", () => {
  it("sends planned digests whose queue job was lost, and leaves a digest waiting out its backoff alone", async () => {
    const { db } = database;
    for (const name of ["lost1", "lost2", "lost3"]) await addSubscriber(db, `${name}@example.com`, { topics: ["continual-learning"] });
    // Planned and committed, but never queued: what a crash between the two leaves behind.
    await planAllDigests(db, { now: new Date(), date: "2026-11-24" });
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

describe("the sweeper's cadence", () => {
  it("looks for lost jobs every DIGEST_SWEEP_SECONDS, and for expired claims about once a lease", async () => {
    const { db } = database;
    await planLost(["early"]);
    pipeline = await startPipeline(db, database.url, sink.url, { DIGEST_SWEEP_SECONDS: "3600", DIGEST_SEND_LEASE_SECONDS: "1" });
    // The sweep at start looks for both.
    await sink.waitFor(1, "early@example.com", 15_000);

    // Now a job is lost, and a worker dies holding a claim.
    await planLost(["lost"]);
    const [claimed] = await planLost(["claimed"]);
    await db.digest.update({ where: { id: claimed!.id }, data: { status: "sending", claimedAt: new Date(Date.now() - 60_000), claimToken: randomUUID(), attempts: 1 } });

    // The claim is re-queued at the next lease-sized tick; the lost job waits for the next lost-job search (an hour).
    await sink.waitFor(1, "claimed@example.com", 15_000);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(sink.to("lost@example.com")).toHaveLength(0);
    expect(sink.received.map((m) => m.to).sort()).toEqual(["claimed@example.com", "early@example.com"]);
  }, 60_000);

  it("never runs two sweeps at once: a sweep held up in the database is not stacked on, and re-queues a lost digest once", async () => {
    const { db } = database;
    const { lines, log } = captureLog("info");
    pipeline = await startPipeline(db, database.url, sink.url, { DIGEST_SWEEP_SECONDS: "1", DIGEST_SEND_LEASE_SECONDS: "1" }, { log });
    await new Promise((r) => setTimeout(r, 1_500));

    // Something holds pg-boss's job table for 6 s of one-second ticks (a slow sweep at scale looks the same to the
    // next tick): the lost-job search waits on it, and meanwhile a digest loses its job.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    let lost: { id: string } | undefined;
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE pgboss.job IN ACCESS EXCLUSIVE MODE");
      [lost] = await planLost(["held"]);
      await new Promise((r) => setTimeout(r, 6_000));
    } finally {
      await holder.query("ROLLBACK").catch(() => {});
      await holder.end();
    }
    await sink.waitFor(1, "held@example.com", 15_000);
    await new Promise((r) => setTimeout(r, 2_000));
    // One sweep was waiting, not six: the digest was queued again once (six stacked sweeps each queued it).
    const jobs = await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND data->'digestIds' ? $2`, DIGEST_QUEUE, lost!.id);
    expect(Number(jobs[0]!.n)).toBe(1);
    expect(lines.filter((l) => /^re-queued \d+ digest/.test(String(l.msg)))).toHaveLength(1);
    expect(sink.to("held@example.com")).toHaveLength(1);
    expect((await db.digest.findUniqueOrThrow({ where: { id: lost!.id } })).status).toBe("sent");
  }, 60_000);

  it("finds lost jobs with one anti-join over the queued ids, not a subquery per planned digest", async () => {
    const { db } = database;
    // Only for its queue: no worker, no sweep.
    pipeline = await startPipeline(db, database.url, sink.url, {}, { runtime: { worker: false } });
    const digests = await planLost(["p1", "p2", "p3", "p4"]);
    await enqueueDigests(pipeline.boss, digests.slice(0, 2).map((d) => d.id), new Date(Date.now() + 3600_000));
    const [row] = await db.$queryRawUnsafe<{ "QUERY PLAN": unknown }[]>(`EXPLAIN (FORMAT JSON) ${LOST_DIGESTS_SQL}`, new Date(), DIGEST_QUEUE);
    const plan = JSON.stringify(row!["QUERY PLAN"]);
    expect(plan).toMatch(/"Join Type":\s*"(Right )?Anti"/);
    expect(plan).not.toMatch(/SubPlan/);
    // And it finds exactly the two whose job is gone.
    const lost = await db.$queryRawUnsafe<{ id: string }[]>(LOST_DIGESTS_SQL, new Date(), DIGEST_QUEUE);
    expect(lost.map((d) => d.id).sort()).toEqual(digests.slice(2).map((d) => d.id).sort());
  }, 30_000);
});
