// The durable send queue in PostgreSQL (pg-boss). A job carries only digest ids (up to 200, sent a chunk at a time);
// the digest rows hold the truth. Batching keeps the queue small: pg-boss's fetch sorts every waiting job, so its cost
// grows with the queue (100,000 one-digest jobs: ~70 ms per fetch; 2,000 jobs of 50: 2.1 ms, the sender's most
// expensive statement at 100,000 readers; 500 jobs of 200: a quarter of the fetches, each cheaper).
import PgBoss from "pg-boss";
import type { Db } from "../db/client.ts";

export const DIGEST_QUEUE = "digest-send";
/** pg-boss's schema; the sweeper reads its job table to see which digests are still queued. */
export const QUEUE_SCHEMA = "pgboss";

export interface QueueSettings {
  retryDelaySeconds: number;
  maxAttempts: number;
  leaseSeconds: number;
}

export async function startQueue(connectionString: string, settings: QueueSettings, onError: (err: unknown) => void): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString,
    schema: QUEUE_SCHEMA,
    max: 4,
    schedule: false, // node-cron schedules; pg-boss only queues
    supervise: true,
    // Expired jobs (a killed worker's) are found by maintenance: keep it frequent, it is a cheap query.
    maintenanceIntervalSeconds: Math.max(1, Math.min(60, settings.leaseSeconds)),
    retentionDays: 7,
    deleteAfterDays: 7,
  });
  boss.on("error", onError);
  try {
    await boss.start();
    const options = {
      // pg-boss retries a job only when its worker died (expired) or failed unexpectedly; send failures are retried
      // per digest (see send.ts), so no backoff here.
      retryLimit: settings.maxAttempts,
      retryDelay: settings.retryDelaySeconds,
      retryBackoff: false,
      // A job holds up to 200 digests, claimed a chunk at a time, each claim a fresh lease. If a job outlives this,
      // another lane takes it over: harmless (claims decide who sends), and a killed worker's unclaimed digests go out.
      expireInSeconds: settings.leaseSeconds * 2,
    };
    await boss.createQueue(DIGEST_QUEUE, { name: DIGEST_QUEUE, ...options });
    await boss.updateQueue(DIGEST_QUEUE, { name: DIGEST_QUEUE, ...options });
    return boss;
  } catch (err) {
    await boss.stop({ graceful: false, close: true }).catch(() => {});
    throw err;
  }
}

export const DIGESTS_PER_JOB = 200;

export interface DigestJob {
  digestIds: string[];
}

/** Queues digests in jobs of up to DIGESTS_PER_JOB; `startAfter` delays them (retry backoff). */
export async function enqueueDigests(boss: PgBoss, digestIds: string[], startAfter?: Date) {
  const jobs: PgBoss.JobInsert<DigestJob>[] = [];
  for (let i = 0; i < digestIds.length; i += DIGESTS_PER_JOB) {
    jobs.push({ name: DIGEST_QUEUE, data: { digestIds: digestIds.slice(i, i + DIGESTS_PER_JOB) }, ...(startAfter ? { startAfter } : {}) });
  }
  for (let i = 0; i < jobs.length; i += 500) await boss.insert(jobs.slice(i, i + 500));
}

/** Longest per-digest retry backoff. */
export const MAX_RETRY_DELAY_SECONDS = 3600;

/**
 * Claims whose worker's lease ran out (killed mid-send): queued again. Cheap (the status index); run about once a
 * lease. A duplicate job is harmless: sending starts with a conditional claim.
 */
export async function requeueExpiredClaims(db: Db, boss: PgBoss, now: Date, leaseSeconds: number): Promise<number> {
  const staleClaim = new Date(now.getTime() - leaseSeconds * 1000);
  const stalled = await db.digest.findMany({ where: { status: "sending", claimedAt: { lt: staleClaim } }, select: { id: true } });
  await enqueueDigests(boss, stalled.map((d) => d.id));
  return stalled.length;
}

// Raw SQL: the queued digest ids live in pg-boss's job table (jsonb arrays). NOT EXISTS at the top level, so that
// PostgreSQL hashes the queued ids once (under an OR it re-ran the subquery for every digest: minutes at 100k).
// $1: planned before this (the grace), $2: the queue's name. Exported for the test that checks its plan.
export const LOST_DIGESTS_SQL = `WITH queued AS (
    SELECT q.id FROM ${QUEUE_SCHEMA}.job j CROSS JOIN LATERAL jsonb_array_elements_text(j.data->'digestIds') AS q(id)
    WHERE j.name = $2 AND j.state IN ('created', 'retry', 'active'))
  SELECT d.id, d.retry_at AS "retryAt" FROM digests d
  WHERE d.status = 'planned' AND d.updated_at < $1 AND NOT EXISTS (SELECT 1 FROM queued WHERE queued.id = d.id::text)`;

/**
 * Planned digests that are in no job that may still run (the job was lost: a crash between planning and queueing, a
 * database restart): queued again, for their retry time. A digest waiting out a backoff is in a waiting job and left
 * alone. `graceSeconds` gives a digest just planned or released the moment until its job is inserted. One hash
 * anti-join over every queued id (~250 ms with 80,000 planned digests in 1,600 jobs), so run it every
 * DIGEST_SWEEP_SECONDS, not more often.
 */
export async function requeueLostDigests(db: Db, boss: PgBoss, now: Date, graceSeconds: number): Promise<number> {
  const settled = new Date(now.getTime() - graceSeconds * 1000);
  const lost = await db.$queryRawUnsafe<{ id: string; retryAt: Date | null }[]>(LOST_DIGESTS_SQL, settled, DIGEST_QUEUE);
  const byStart = new Map<number, string[]>();
  for (const d of lost) {
    const at = d.retryAt && d.retryAt > now ? d.retryAt.getTime() : 0;
    const ids = byStart.get(at);
    if (ids) ids.push(d.id);
    else byStart.set(at, [d.id]);
  }
  for (const [at, ids] of byStart) await enqueueDigests(boss, ids, at ? new Date(at) : undefined);
  return lost.length;
}
