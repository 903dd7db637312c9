// The queue worker: a few lanes, each taking one job (up to 200 digests), sending its digests a chunk at a time and
// acknowledging the job; the process's throttle decides how many emails are in flight. Temporary failures go
// back on the queue as new jobs for their retry time. Database outages are waited out (the gate), so a job under way
// finishes and is acknowledged once PostgreSQL is back. Stops gracefully: in-flight batches finish and are recorded.
import type PgBoss from "pg-boss";
import { isWaitEnded, type OutageGate } from "../db/outage-gate.ts";
import { DIGEST_QUEUE, type DigestJob, enqueueDigests } from "./queue.ts";
import { type RetryLater, type SendDeps, type SendOutcome, sendDigests } from "./send.ts";
import { ThrottleClosedError } from "./throttle.ts";
import { addDigestTotals, outcomeTotals } from "./totals.ts";

/** At most this many of a lane's digests are claimed and sent together. */
const SENDS_PER_LANE = 50;

export interface DigestWorker {
  /** Stops fetching, lets in-flight sends finish and records them. Nothing in flight is dropped. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  concurrency: number;
  pollMs?: number;
  onOutcome?: (outcome: SendOutcome | "retry") => void;
}

/** Errors that end a wait on purpose (shutdown, or a CLI that stopped waiting for the database): no log line. */
const isStopping = (err: unknown) => isWaitEnded(err) || err instanceof ThrottleClosedError;

export function startDigestWorker(boss: PgBoss, deps: SendDeps & { gate: OutageGate }, opts: WorkerOptions): DigestWorker {
  const { gate } = deps;
  // Lanes of up to 50 sends each: while one lane records a chunk and claims the next, the others keep the SMTP pool fed.
  const lanes = Math.max(1, Math.ceil(opts.concurrency / SENDS_PER_LANE));
  const perLane = Math.max(1, Math.ceil(opts.concurrency / lanes));
  let stopping = false;
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        sleepers.delete(done);
        resolve();
      };
      sleepers.add(done);
      setTimeout(done, ms);
    });

  const runJob = async (job: PgBoss.Job<DigestJob>) => {
    const outcomes = await sendDigests(deps, job.data.digestIds, perLane);
    // Each released digest is queued for its own retry time (to the second, so a batch shares a few jobs).
    const byTime = new Map<number, string[]>();
    const reported: (SendOutcome | "retry")[] = [];
    for (const [digestId, outcome] of outcomes) {
      const retry = typeof outcome === "object" ? (outcome as RetryLater) : undefined;
      if (retry) {
        const at = Math.ceil(retry.retryAt.getTime() / 1000) * 1000;
        const ids = byTime.get(at);
        if (ids) ids.push(digestId);
        else byTime.set(at, [digestId]);
      }
      reported.push(retry ? "retry" : (outcome as SendOutcome));
    }
    for (const outcome of reported) opts.onOutcome?.(outcome);
    // Metrics only, but counted once the database answers again rather than lost to an outage.
    await gate.run(() => addDigestTotals(deps.db, outcomeTotals(reported))).catch((err) => {
      if (isStopping(err)) throw err;
      deps.log.warn({ err }, "could not add to the digest totals (metrics only; nothing else is affected)");
    });
    for (const [at, ids] of byTime) await gate.run(() => enqueueDigests(boss, ids, new Date(at)));
    await gate.run(() => boss.complete(DIGEST_QUEUE, job.id));
  };

  const lane = async () => {
    while (!stopping) {
      let job: PgBoss.Job<DigestJob> | undefined;
      try {
        [job] = await gate.run(() => boss.fetch<DigestJob>(DIGEST_QUEUE, { batchSize: 1 }));
      } catch (err) {
        if (!isStopping(err)) deps.log.error({ err }, "digest worker: fetching a job failed");
        await sleep(1000);
        continue;
      }
      if (!job) {
        await sleep(opts.pollMs ?? 500);
        continue;
      }
      try {
        await runJob(job);
      } catch (err) {
        // Stopped while waiting: the job stays active and expires; its digests are claimed or still planned.
        if (isStopping(err)) continue;
        // Unexpected (a bug, a bad row): pg-boss retries the whole job later; sent digests are not sent again.
        deps.log.error({ err, jobId: job.id }, "digest worker: a job failed; the queue retries it");
        await gate.attempt(() => boss.fail(DIGEST_QUEUE, job.id, { message: String((err as Error)?.message ?? err) })).catch(() => {});
        await sleep(1000);
      }
    }
  };
  const running = Promise.all(Array.from({ length: lanes }, lane));

  return {
    async stop() {
      stopping = true;
      for (const wake of [...sleepers]) wake();
      await running;
    },
  };
}
