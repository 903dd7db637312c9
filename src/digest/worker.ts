// The queue worker: a few lanes, each taking one job (a batch of up to 50 digests), sending its digests together
// and acknowledging the job, so up to `concurrency` emails are in flight. Temporary failures go back on the queue
// as new jobs with exponential backoff. Stops gracefully: in-flight batches finish and are recorded.
import type PgBoss from "pg-boss";
import { DIGEST_QUEUE, DIGESTS_PER_JOB, type DigestJob, enqueueDigests, MAX_RETRY_DELAY_SECONDS } from "./queue.ts";
import { type SendDeps, type SendOutcome, sendDigests, TransientSendError } from "./send.ts";
import { outcomeTotals, recordDigestTotals } from "./totals.ts";

export interface DigestWorker {
  /** Stops fetching, lets in-flight sends finish and records them. Nothing in flight is dropped. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  concurrency: number;
  /** First retry delay after a temporary failure; doubles with each attempt. */
  retryDelaySeconds: number;
  pollMs?: number;
  onOutcome?: (outcome: SendOutcome | "retry") => void;
}

export function startDigestWorker(boss: PgBoss, deps: SendDeps, opts: WorkerOptions): DigestWorker {
  const lanes = Math.max(1, Math.ceil(opts.concurrency / DIGESTS_PER_JOB));
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
    const retry: { id: string; attempts: number }[] = [];
    const reported: (SendOutcome | "retry")[] = [];
    for (const [digestId, outcome] of outcomes) {
      if (outcome instanceof TransientSendError) retry.push({ id: digestId, attempts: outcome.attempts });
      reported.push(outcome instanceof TransientSendError ? "retry" : outcome);
    }
    for (const outcome of reported) opts.onOutcome?.(outcome);
    await recordDigestTotals(deps.db, deps.log, outcomeTotals(reported));
    // Backoff per attempt count: 1×, 2×, 4×… the base delay.
    const byDelay = new Map<number, string[]>();
    for (const r of retry) {
      const delay = Math.min(MAX_RETRY_DELAY_SECONDS, opts.retryDelaySeconds * 2 ** Math.max(0, r.attempts - 1));
      byDelay.set(delay, [...(byDelay.get(delay) ?? []), r.id]);
    }
    for (const [delay, ids] of byDelay) await enqueueDigests(boss, ids, new Date(Date.now() + delay * 1000));
    await boss.complete(DIGEST_QUEUE, job.id);
  };

  const lane = async () => {
    while (!stopping) {
      try {
        const [job] = await boss.fetch<DigestJob>(DIGEST_QUEUE, { batchSize: 1 });
        if (!job) {
          await sleep(opts.pollMs ?? 500);
          continue;
        }
        await runJob(job).catch(async (err) => {
          // Unexpected (database down?): pg-boss retries the whole job later; sent digests are not sent again.
          deps.log.error({ err }, "digest worker: a job failed; the queue retries it");
          await boss.fail(DIGEST_QUEUE, job.id, { message: String((err as Error)?.message ?? err) }).catch(() => {});
          await sleep(1000);
        });
      } catch (err) {
        deps.log.error({ err }, "digest worker: fetching a job failed");
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
