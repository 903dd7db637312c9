// The scheduler tick: only finds due work. Plans the digests whose hour has come, queues them, and re-queues any
// that a crashed worker left behind. Safe with several app instances (unique digest per subscriber and day).
import type PgBoss from "pg-boss";
import cron from "node-cron";
import type { Db } from "../src/db/client.ts";
import { planDueDigests } from "../src/digest/plan.ts";
import { enqueueDigests, requeueStalledDigests } from "../src/digest/queue.ts";
import { planTotals, recordDigestTotals } from "../src/digest/totals.ts";
import type { Logger } from "../src/log.ts";
import type { DigestMetrics } from "../src/metrics/metrics.ts";

export interface TickDeps {
  db: Db;
  boss: PgBoss;
  log: Logger;
  leaseSeconds: number;
  /** TRENDING_WINDOW_DAYS. */
  windowDays?: number;
  now?: () => Date;
  metrics?: Pick<DigestMetrics, "digestsPlanned">;
}

export async function runDigestTick(deps: TickDeps) {
  const now = deps.now?.() ?? new Date();
  const plan = await planDueDigests(deps.db, { now, windowDays: deps.windowDays, onBatch: (ids) => enqueueDigests(deps.boss, ids) });
  deps.metrics?.digestsPlanned(plan.planned, plan.skipped);
  await recordDigestTotals(deps.db, deps.log, planTotals(plan));
  const requeued = await requeueStalledDigests(deps.db, deps.boss, now, deps.leaseSeconds);
  if (plan.planned || plan.skipped || requeued) {
    deps.log.info(`digests: ${plan.planned} planned and queued, ${plan.skipped} skipped (nothing new), ${requeued} re-queued`);
  }
  return { planned: plan.planned, skipped: plan.skipped, requeued };
}

export function scheduleDigests(cronExpression: string, deps: TickDeps) {
  return cron.schedule(
    cronExpression,
    () =>
      runDigestTick(deps).catch((err) => {
        deps.log.error({ err }, "digest tick failed");
      }),
    { name: "daily-digest", noOverlap: true },
  );
}
