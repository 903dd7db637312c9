// The queue worker: a few lanes, each fetching a batch of jobs, sending them together and acknowledging them
// together, so up to `concurrency` emails are in flight. Stops gracefully: in-flight batches finish and are recorded.
import type PgBoss from "pg-boss";
import { DIGEST_QUEUE } from "./queue.ts";
import { type SendDeps, type SendOutcome, sendDigests, TransientSendError } from "./send.ts";

export interface DigestWorker {
  /** Stops fetching, lets in-flight sends finish and records them. Nothing in flight is dropped. */
  stop(): Promise<void>;
}

const MAX_BATCH = 50;

export function startDigestWorker(
  boss: PgBoss,
  deps: SendDeps,
  opts: { concurrency: number; pollMs?: number; onOutcome?: (outcome: SendOutcome | "retry") => void },
): DigestWorker {
  const batchSize = Math.min(MAX_BATCH, opts.concurrency);
  const lanes = Math.ceil(opts.concurrency / batchSize);
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

  const runBatch = async (jobs: PgBoss.Job<{ digestId: string }>[]) => {
    const outcomes = await sendDigests(deps, [...new Set(jobs.map((j) => j.data.digestId))]);
    const done: string[] = [];
    for (const job of jobs) {
      const outcome = outcomes.get(job.data.digestId);
      if (outcome instanceof TransientSendError) {
        // pg-boss retries the job with exponential backoff.
        await boss.fail(DIGEST_QUEUE, job.id, { message: outcome.message });
        opts.onOutcome?.("retry");
      } else {
        done.push(job.id);
        if (outcome) opts.onOutcome?.(outcome);
      }
    }
    if (done.length) await boss.complete(DIGEST_QUEUE, done);
  };

  const lane = async () => {
    while (!stopping) {
      try {
        const jobs = await boss.fetch<{ digestId: string }>(DIGEST_QUEUE, { batchSize });
        if (jobs.length === 0) await sleep(opts.pollMs ?? 500);
        else await runBatch(jobs);
      } catch (err) {
        // A failed batch is not acknowledged: its jobs expire and are retried, its digests re-queued after the lease.
        deps.log.error("digest worker", err);
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
