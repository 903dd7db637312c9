// The durable send queue in PostgreSQL (pg-boss). A job carries only digest ids (up to 50, sent together); the digest
// rows hold the truth. Batching keeps the queue small: pg-boss's fetch sorts every waiting job, so 100,000 one-digest
// jobs cost ~70 ms per fetch, where 2,000 batch jobs cost next to nothing.
import PgBoss from "pg-boss";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";

export const DIGEST_QUEUE = "digest-send";

export interface QueueSettings {
  retryDelaySeconds: number;
  maxAttempts: number;
  leaseSeconds: number;
}

export async function startQueue(connectionString: string, settings: QueueSettings, log: Logger): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString,
    max: 4,
    schedule: false, // node-cron schedules; pg-boss only queues
    supervise: true,
    // Expired jobs (a killed worker's) are found by maintenance: keep it frequent, it is a cheap query.
    maintenanceIntervalSeconds: Math.max(1, Math.min(60, settings.leaseSeconds)),
    retentionDays: 7,
    deleteAfterDays: 7,
  });
  boss.on("error", (err) => log.error({ err }, "queue"));
  await boss.start();
  const options = {
    retryLimit: settings.maxAttempts,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    // A job holds up to 50 digests, claimed a few at a time, each claim a fresh lease: the job may run much longer
    // than one lease. A killed worker's digests do not wait for this: the next tick re-queues them after the lease.
    expireInSeconds: settings.leaseSeconds * 10,
  };
  await boss.createQueue(DIGEST_QUEUE, { name: DIGEST_QUEUE, ...options });
  await boss.updateQueue(DIGEST_QUEUE, { name: DIGEST_QUEUE, ...options });
  return boss;
}

export const DIGESTS_PER_JOB = 50;

export interface DigestJob {
  digestIds: string[];
}

/** Queues digests in jobs of up to 50; `startAfter` delays them (retry backoff). */
export async function enqueueDigests(boss: PgBoss, digestIds: string[], startAfter?: Date) {
  const jobs: PgBoss.JobInsert<DigestJob>[] = [];
  for (let i = 0; i < digestIds.length; i += DIGESTS_PER_JOB) {
    jobs.push({ name: DIGEST_QUEUE, data: { digestIds: digestIds.slice(i, i + DIGESTS_PER_JOB) }, ...(startAfter ? { startAfter } : {}) });
  }
  for (let i = 0; i < jobs.length; i += 500) await boss.insert(jobs.slice(i, i + 500));
}

/** Longest retry backoff: a planned digest untouched for this long has lost its job. */
export const MAX_RETRY_DELAY_SECONDS = 3600;

/**
 * Digests nobody is working on: claimed by a worker whose lease ran out (killed mid-send), or planned and untouched
 * for longer than any retry backoff (their job was lost). Queued again; a duplicate job is harmless because
 * sending starts with a conditional claim. Planned digests waiting out a backoff are left alone.
 */
export async function requeueStalledDigests(db: Db, boss: PgBoss, now: Date, leaseSeconds: number, plannedStaleSeconds = MAX_RETRY_DELAY_SECONDS): Promise<number> {
  const staleClaim = new Date(now.getTime() - leaseSeconds * 1000);
  const stalePlan = new Date(now.getTime() - plannedStaleSeconds * 1000);
  const stalled = await db.digest.findMany({
    where: { OR: [{ status: "planned", updatedAt: { lt: stalePlan } }, { status: "sending", claimedAt: { lt: staleClaim } }] },
    select: { id: true },
  });
  await enqueueDigests(boss, stalled.map((d) => d.id));
  return stalled.length;
}
