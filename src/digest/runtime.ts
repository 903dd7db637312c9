// Wires the send pipeline for a process: the queue, a worker, the sweeper, and what they share: the settings, the
// throttle (the whole sender's pace), the outage gate (database waits) and the report of temporary failures.
import type PgBoss from "pg-boss";
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import { createOutageGate, isWaitEnded, type OutageGate } from "../db/outage-gate.ts";
import type { Logger } from "../log.ts";
import type { EmailTemplates } from "../mail/templates.ts";
import type { Mailer } from "../mail/transport.ts";
import { createFailureReport, type FailureReportOptions } from "./failure-report.ts";
import { requeueExpiredClaims, requeueLostDigests, startQueue } from "./queue.ts";
import type { SendDeps } from "./send.ts";
import { createSendThrottle } from "./throttle.ts";
import { type DigestWorker, startDigestWorker, type WorkerOptions } from "./worker.ts";

export function sendDeps(config: Config, parts: { db: Db; mailer: Mailer; emails: EmailTemplates; log: Logger; appSecret: string; now?: () => Date }): SendDeps {
  return {
    ...parts,
    publicBaseUrl: config.publicBaseUrl,
    postalAddress: config.mail.postalAddress,
    listId: config.mail.listId,
    leaseSeconds: config.digest.sendLeaseSeconds,
    maxAttempts: config.digest.maxAttempts,
    giveUpHours: config.digest.giveUpHours,
    retryDelaySeconds: config.digest.retryDelaySeconds,
  };
}

export interface RuntimeOptions {
  /** Start sending now (otherwise call startWorker later). */
  worker: boolean;
  onOutcome?: WorkerOptions["onOutcome"];
  /** Shared with the caller, so one outage is one warning (`digest run` gives it a time limit). */
  gate?: OutageGate;
  failureReport?: FailureReportOptions;
}

export type DigestRuntime = Awaited<ReturnType<typeof startDigestRuntime>>;

/** After a stop is asked for, how long a worker may wait (for the database, or a paused throttle) before it gives up. */
const STOP_GRACE_MS = 10_000;

export async function startDigestRuntime(config: Config, databaseUrl: string, base: SendDeps, opts: RuntimeOptions) {
  const { log, db } = base;
  const gate = opts.gate ?? createOutageGate(log, { waiting: "sending waits until it is back (nothing is lost)", probe: () => db.$queryRaw`SELECT 1` });
  const throttle = createSendThrottle({ maxConcurrency: config.digest.workerConcurrency });
  const failures = createFailureReport(log, opts.failureReport);
  const deps = { ...base, gate, throttle, failures };
  const boss: PgBoss = await gate.run(() =>
    startQueue(
      databaseUrl,
      { retryDelaySeconds: config.digest.retryDelaySeconds, maxAttempts: config.digest.maxAttempts, leaseSeconds: config.digest.sendLeaseSeconds },
      // The queue's own background work notices an outage too: one warning, not one stack per poll.
      (err) => {
        if (!gate.report(err)) log.error({ err }, "queue");
      },
    ),
  );

  // Digests nobody is working on: a killed worker's claims, once their lease has run out (checked about once a lease),
  // and planned digests whose job was lost (every DIGEST_SWEEP_SECONDS; the grace covers the moment between a
  // commit and its enqueue). One sweep at a time: a slow one is not stacked on.
  const lease = config.digest.sendLeaseSeconds;
  const sweepSeconds = config.digest.sweepSeconds;
  const tickSeconds = Math.min(sweepSeconds, lease);
  let lastLostSweep = 0;
  const sweep = async () => {
    try {
      const now = new Date();
      let requeued = (await gate.attempt(() => requeueExpiredClaims(db, boss, now, lease))) ?? 0;
      // Half a tick of slack: a timer may fire a millisecond early, and a skipped search would wait a whole period.
      if (now.getTime() - lastLostSweep >= (sweepSeconds - tickSeconds / 2) * 1000) {
        requeued += (await gate.attempt(() => requeueLostDigests(db, boss, now, 2 * sweepSeconds))) ?? 0;
        lastLostSweep = now.getTime();
      }
      if (requeued) log.info({ requeued }, `re-queued ${requeued} digest(s) nobody was working on`);
    } catch (err) {
      if (!isWaitEnded(err) && !gate.report(err)) log.error({ err }, "digest sweep failed");
    }
  };
  let sweeper: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  let worker: DigestWorker | undefined;

  const startWorker = () => {
    if (worker) return;
    worker = startDigestWorker(boss, deps, { concurrency: config.digest.workerConcurrency, onOutcome: opts.onOutcome });
    const startSweep = () => {
      sweeping ??= sweep().finally(() => {
        sweeping = undefined;
      });
    };
    startSweep();
    sweeper = setInterval(startSweep, tickSeconds * 1000);
    sweeper.unref();
  };
  if (opts.worker) startWorker();

  return {
    boss,
    gate,
    throttle,
    startWorker,
    async stop() {
      clearInterval(sweeper);
      const stopped = worker?.stop();
      // Past the grace, stop waiting for a database or a paused server: what is claimed stays claimed until its lease
      // runs out, then the next run sends it.
      const grace = setTimeout(() => {
        throttle.close();
        gate.close();
      }, STOP_GRACE_MS);
      await stopped;
      await sweeping;
      clearTimeout(grace);
      failures.stop();
      throttle.close();
      gate.close();
      await Promise.race([boss.stop({ graceful: !gate.down, wait: true, close: true }).catch(() => {}), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
    },
  };
}
