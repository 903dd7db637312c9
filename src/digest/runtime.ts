// Wires the send pipeline for a process: the queue, a worker, and the settings they share.
import type PgBoss from "pg-boss";
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { EmailTemplates } from "../mail/templates.ts";
import type { Mailer } from "../mail/transport.ts";
import { startQueue } from "./queue.ts";
import type { SendDeps } from "./send.ts";
import { type DigestWorker, startDigestWorker } from "./worker.ts";

export function sendDeps(config: Config, parts: { db: Db; mailer: Mailer; emails: EmailTemplates; log: Logger; appSecret: string; now?: () => Date }): SendDeps {
  return {
    ...parts,
    publicBaseUrl: config.publicBaseUrl,
    postalAddress: config.mail.postalAddress,
    listId: config.mail.listId,
    leaseSeconds: config.digest.sendLeaseSeconds,
    maxAttempts: config.digest.maxAttempts,
  };
}

export async function startDigestRuntime(config: Config, databaseUrl: string, deps: SendDeps, opts: { worker: boolean; onOutcome?: Parameters<typeof startDigestWorker>[2]["onOutcome"] }) {
  const boss: PgBoss = await startQueue(
    databaseUrl,
    { retryDelaySeconds: config.digest.retryDelaySeconds, maxAttempts: config.digest.maxAttempts, leaseSeconds: config.digest.sendLeaseSeconds },
    deps.log,
  );
  const worker: DigestWorker | undefined = opts.worker ? startDigestWorker(boss, deps, { concurrency: config.digest.workerConcurrency, retryDelaySeconds: config.digest.retryDelaySeconds, onOutcome: opts.onOutcome }) : undefined;
  return {
    boss,
    async stop() {
      await worker?.stop();
      await boss.stop({ graceful: true, wait: true, close: true });
    },
  };
}
