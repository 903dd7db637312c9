// The scheduler tick: only finds due work. Plans the digests whose hour has come and queues them, then tells readers
// whose topics matched nothing for 14 days (one notice per dry spell). Safe with several app instances (unique digest
// per subscriber and day; the notice is claimed first). Digests a crash or a lost job left behind are the sweeper's
// (src/digest/runtime.ts), which runs in every process that sends.
import type PgBoss from "pg-boss";
import cron from "node-cron";
import type { Db } from "../src/db/client.ts";
import type { OutageGate } from "../src/db/outage-gate.ts";
import { sendNoMatchNotices } from "../src/digest/dry-spell.ts";
import { planDueDigests } from "../src/digest/plan.ts";
import { enqueueDigests } from "../src/digest/queue.ts";
import type { SendDeps } from "../src/digest/send.ts";
import { planTotals, recordDigestTotals } from "../src/digest/totals.ts";
import type { Logger } from "../src/log.ts";
import type { DigestMetrics } from "../src/metrics/metrics.ts";

export interface TickDeps {
  db: Db;
  boss: PgBoss;
  log: Logger;
  /** Notes a database outage (one warning for the process) instead of a stack trace per tick. */
  gate?: Pick<OutageGate, "report">;
  /** TRENDING_WINDOW_DAYS. */
  windowDays?: number;
  /** What the no-match notices are sent with (the send pipeline's mailer, templates and links); none: no notices. */
  notices?: SendDeps;
  now?: () => Date;
  metrics?: Pick<DigestMetrics, "digestsPlanned">;
}

export async function runDigestTick(deps: TickDeps) {
  const now = deps.now?.() ?? new Date();
  // Planned in a lean process of its own (src/digest/planner-process.ts): this one keeps its memory for the web and sending.
  const plan = await planDueDigests(deps.db, { now, windowDays: deps.windowDays, onBatch: (ids) => enqueueDigests(deps.boss, ids), ownProcess: true });
  deps.metrics?.digestsPlanned(plan.planned, plan.skipped);
  await recordDigestTotals(deps.db, deps.log, planTotals(plan));
  if (plan.planned || plan.skipped) {
    deps.log.info({ planner: plan.planner }, `digests: ${plan.planned} planned and queued, ${plan.skipped} skipped (nothing new)`);
  }
  const notices = deps.notices ? await sendNoMatchNotices(deps.notices, now) : 0;
  if (notices) deps.log.info(`no-match notices: ${notices} sent (nothing matched their topics for 14 days)`);
  return { planned: plan.planned, skipped: plan.skipped, notices };
}

export function scheduleDigests(cronExpression: string, deps: TickDeps) {
  return cron.schedule(
    cronExpression,
    () =>
      runDigestTick(deps).catch((err) => {
        // Planning is idempotent: the next tick plans what this one could not.
        if (!deps.gate?.report(err)) deps.log.error({ err }, "digest tick failed");
      }),
    { name: "daily-digest", noOverlap: true },
  );
}
