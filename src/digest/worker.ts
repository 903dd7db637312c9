// The queue worker: keeps up to `concurrency` digests in flight, acknowledges in batches, stops gracefully.
import type PgBoss from "pg-boss";
import type { Logger } from "../log.ts";
import { DIGEST_QUEUE } from "./queue.ts";
import { type SendDeps, type SendOutcome, sendDigest, TransientSendError } from "./send.ts";

export interface DigestWorker {
  /** Stops fetching, lets in-flight sends finish and records them. Nothing in flight is dropped. */
  stop(): Promise<void>;
}

export function startDigestWorker(
  boss: PgBoss,
  deps: SendDeps,
  opts: { concurrency: number; pollMs?: number; onOutcome?: (outcome: SendOutcome | "retry") => void },
): DigestWorker {
  const inflight = new Set<Promise<void>>();
  const done: string[] = [];
  let stopping = false;
  let wake: (() => void) | undefined;

  const flush = async () => {
    if (done.length) await boss.complete(DIGEST_QUEUE, done.splice(0));
  };

  const handle = async (job: PgBoss.Job<{ digestId: string }>) => {
    try {
      const outcome = await sendDigest(deps, job.data.digestId);
      done.push(job.id);
      opts.onOutcome?.(outcome);
    } catch (err) {
      // Transient: pg-boss retries the job with exponential backoff.
      if (!(err instanceof TransientSendError)) deps.log.error(`digest ${job.data.digestId}`, err);
      await boss.fail(DIGEST_QUEUE, job.id, { message: (err as Error).message }).catch((e) => deps.log.error("queue fail", e));
      opts.onOutcome?.("retry");
    }
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        const free = opts.concurrency - inflight.size;
        const jobs = free > 0 ? await boss.fetch<{ digestId: string }>(DIGEST_QUEUE, { batchSize: free }) : [];
        for (const job of jobs) {
          const p: Promise<void> = handle(job).finally(() => inflight.delete(p));
          inflight.add(p);
        }
        if (done.length >= 100 || (jobs.length === 0 && done.length)) await flush();
        if (jobs.length === 0 || free <= 0) {
          await Promise.race([new Promise<void>((r) => ((wake = r), setTimeout(r, opts.pollMs ?? 500))), ...inflight]);
        }
      } catch (err) {
        deps.log.error("digest worker", err);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    await Promise.all(inflight);
    await flush();
  })();

  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
  };
}
