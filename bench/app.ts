// One app process of the benchmark: the real send pipeline (pg-boss queue, worker, pooled SMTP) against the bench
// database. --plan makes it also plan the day's digests first (the planner's time is reported). It runs until the
// orchestrator sends SIGTERM, then stops gracefully and reports its figures over IPC.
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { createDb } from "../src/db/client.ts";
import { planAllDigests } from "../src/digest/plan.ts";
import { enqueueDigests } from "../src/digest/queue.ts";
import { sendDeps, startDigestRuntime } from "../src/digest/runtime.ts";
import { createLogger } from "../src/log.ts";
import { loadEmailTemplates } from "../src/mail/templates.ts";
import { createMailer } from "../src/mail/transport.ts";

const { values } = parseArgs({ options: { plan: { type: "boolean", default: false }, date: { type: "string" } } });
const config = loadConfig(); // DATABASE_URL, SMTP_URL, APP_SECRET... from the orchestrator
const log = createLogger(config.logLevel, { format: config.logFormat });
const db = createDb(config.databaseUrl!, { poolSize: 10 });
const mailer = createMailer(config, config.smtp.url!);
const emails = await loadEmailTemplates();

// Per-recipient fill time, measured where it happens.
let fills = 0;
let fillMs = 0;
const render = emails.render.bind(emails);
emails.render = (name, data) => {
  const t = performance.now();
  const out = render(name, data);
  fillMs += performance.now() - t;
  fills += 1;
  return out;
};

// Where the memory goes: the largest heap and off-heap sizes seen, sampled every 200 ms.
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k] / 2 ** 20);
}, 200).unref();

const deps = sendDeps(config, { db, mailer, emails, log, appSecret: config.appSecret! });
// As in production: after a crash (fault runs) the runtime's sweeper and the queue's expiry pick up what the killed
// process left (planned digests in its jobs, its claims once their lease has run out).
const runtime = await startDigestRuntime(config, config.databaseUrl!, deps, { worker: false });
if (values.plan) {
  // Planning is measured alone; sending starts when it is done (in every app process, on the orchestrator's word).
  const started = performance.now();
  // Planned at the real time (for the fixed date): a digest that keeps failing is given up DIGEST_GIVE_UP_HOURS after
  // planning, so a plan dated in the past would give up at the first refusal. bench/run.ts ingests the papers as first
  // seen 12 hours before it starts, inside the trending window.
  const plan = await planAllDigests(db, { now: new Date(), date: values.date, batchSize: 5000, onBatch: (ids) => enqueueDigests(runtime.boss, ids) });
  process.send?.({ planned: plan.planned, skipped: plan.skipped, planMs: performance.now() - started, rssAfterPlanMb: process.resourceUsage().maxRSS / 1024 });
}
process.on("message", (msg: { send?: boolean }) => {
  if (msg.send) runtime.startWorker();
});
process.send?.({ ready: true });

process.on("SIGTERM", async () => {
  await runtime.stop();
  mailer.close();
  await db.$disconnect();
  process.send?.({ done: true, fills, fillMs, maxRssMb: process.resourceUsage().maxRSS / 1024, ...Object.fromEntries(Object.entries(peak).map(([k, v]) => [`peak_${k}_mb`, Math.round(v)])) });
  process.exit(0);
});
