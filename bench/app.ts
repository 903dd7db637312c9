// One app process of the benchmark: the real send pipeline (pg-boss queue, worker, pooled SMTP) against the bench
// database. --plan makes it also plan the day's digests first (the planner's time is reported). It runs until the
// orchestrator sends SIGTERM, then stops gracefully and reports its figures over IPC.
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { createDb } from "../src/db/client.ts";
import { planAllDigests } from "../src/digest/plan.ts";
import { enqueueDigests } from "../src/digest/queue.ts";
import { sendDeps, startDigestRuntime } from "../src/digest/runtime.ts";
import { createLogger } from "../src/log.ts";
import { loadEmailTemplates } from "../src/mail/templates.ts";
import { createMailer } from "../src/mail/transport.ts";
import { epochMs } from "./rates.ts";

const { values } = parseArgs({ options: { plan: { type: "boolean", default: false }, date: { type: "string" } } });
const config = loadConfig(); // DATABASE_URL, SMTP_URL, APP_SECRET... from the orchestrator
const log = createLogger(config.logLevel, { format: config.logFormat });
const db = createDb(config.databaseUrl!, { poolSize: 10 });
const mailer = createMailer(config, config.smtp.url!);
// When the SMTP server accepted each message (epoch ms): the orchestrator reads time to first send and the steady
// rate from these, exactly as it does for the ceiling.
// And how often the SMTP pool went hungry: time with fewer messages handed to it than it has connections.
const acceptedAt: number[] = [];
const starved = { since: NaN, ms: 0, inFlight: 0 };
const track = (delta: number) => {
  const now = performance.now();
  if (starved.inFlight < config.smtp.poolSize && !Number.isNaN(starved.since)) starved.ms += now - starved.since;
  starved.inFlight += delta;
  starved.since = now;
};
const send = mailer.send.bind(mailer);
// Not an async function: its frame would hold each message (and its ~40 KiB body) until the send resolves.
mailer.send = (message) => {
  track(1);
  return send(message).then(
    (sent) => {
      acceptedAt.push(epochMs());
      track(-1);
      return sent;
    },
    (err: unknown) => {
      track(-1);
      throw err;
    },
  );
};
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

// Event-loop delay and CPU while sending: a blocked loop delays every send; CPU per message compares with the ceiling's.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let cpuAtSend: NodeJS.CpuUsage | undefined;
let mainThreadMsAtSend = NaN;
/** CPU time (ms) of this process's main thread alone (Linux; NaN elsewhere): the rest is the mail thread, GC helpers, I/O. */
function mainThreadCpuMs(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}
// Garbage collection while sending, by kind (minor: scavenges of the young generation; major: mark-compact).
const gc = { minorMs: 0, majorMs: 0, otherMs: 0, majorCount: 0 };
const gcObserver = new PerformanceObserver((list) => {
  if (!cpuAtSend) return;
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minorMs += e.duration;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.majorMs += e.duration;
      gc.majorCount += 1;
    } else gc.otherMs += e.duration;
  }
});
gcObserver.observe({ entryTypes: ["gc"] });

const deps = sendDeps(config, { db, mailer, emails, log, appSecret: config.appSecret! });
// As in production: after a crash (fault runs) the runtime's sweeper and the queue's expiry pick up what the killed
// process left (planned digests in its jobs, its claims once their lease has run out).
const runtime = await startDigestRuntime(config, config.databaseUrl!, deps, { worker: false });
// pg-boss's fetch and complete, timed where the worker calls them.
const queueCalls: Record<string, { calls: number; ms: number; maxMs: number }> = {};
for (const name of ["fetch", "complete"] as const) {
  const original = (runtime.boss[name] as (...args: unknown[]) => Promise<unknown>).bind(runtime.boss);
  const stat = (queueCalls[name] = { calls: 0, ms: 0, maxMs: 0 });
  (runtime.boss as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
    const t = performance.now();
    try {
      return await original(...args);
    } finally {
      const ms = performance.now() - t;
      stat.calls += 1;
      stat.ms += ms;
      stat.maxMs = Math.max(stat.maxMs, ms);
    }
  };
}
if (values.plan) {
  // Planning is measured alone; sending starts when it is done (in every app process, on the orchestrator's word).
  const started = performance.now();
  // Planned at the real time (for the fixed date): a digest that keeps failing is given up DIGEST_GIVE_UP_HOURS after
  // planning, so a plan dated in the past would give up at the first refusal. bench/run.ts ingests the papers as first
  // seen 12 hours before it starts, inside the trending window.
  // In a planning process of its own, as the scheduler tick plans: this process keeps only what sending needs.
  const plan = await planAllDigests(db, { now: new Date(), date: values.date, batchSize: 5000, onBatch: (ids) => enqueueDigests(runtime.boss, ids), ownProcess: true });
  process.send?.({ planned: plan.planned, skipped: plan.skipped, planMs: performance.now() - started, rssAfterPlanMb: process.resourceUsage().maxRSS / 1024 });
}
// BENCH_HEAP_PROFILE=dir: where the sending allocates, collected objects included (sampling; open in DevTools).
let inspector: Session | undefined;
async function startAllocationProfile() {
  if (!process.env.BENCH_HEAP_PROFILE) return;
  inspector = new Session();
  inspector.connect();
  await inspector.post("HeapProfiler.startSampling", { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
async function stopAllocationProfile() {
  if (!inspector) return;
  const { profile } = await inspector.post("HeapProfiler.stopSampling");
  fs.writeFileSync(path.join(process.env.BENCH_HEAP_PROFILE!, `send-${process.pid}.heapprofile`), JSON.stringify(profile));
}
let worker = false;
let heapUsedAtSendMb = NaN;
process.on("message", (msg: { send?: boolean }) => {
  if (!msg.send || worker) return;
  heapUsedAtSendMb = process.memoryUsage().heapUsed / 2 ** 20;
  void startAllocationProfile();
  cpuAtSend = process.cpuUsage();
  mainThreadMsAtSend = mainThreadCpuMs();
  loopDelay.enable();
  worker = true;
  runtime.startWorker();
});
process.send?.({ ready: true });

process.on("SIGTERM", async () => {
  // Sending is over when the orchestrator stops us (every digest recorded): CPU and loop delay up to here.
  const cpu = cpuAtSend ? process.cpuUsage(cpuAtSend) : undefined;
  const mainThreadMs = mainThreadCpuMs() - mainThreadMsAtSend;
  track(0);
  loopDelay.disable();
  gcObserver.disconnect();
  const loop = { p50Ms: loopDelay.percentile(50) / 1e6, p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
  await stopAllocationProfile();
  await runtime.stop();
  mailer.close();
  await db.$disconnect();
  const report = { done: true, fills, fillMs, acceptedAt, cpuMs: cpu ? (cpu.user + cpu.system) / 1000 : NaN, mainThreadMs, loop, gc, heapUsedAtSendMb, poolStarvedMs: starved.ms, queueCalls, maxRssMb: process.resourceUsage().maxRSS / 1024, ...Object.fromEntries(Object.entries(peak).map(([k, v]) => [`peak_${k}_mb`, Math.round(v)])) };
  // The report holds every acceptance time (a few MB at 100k): exit only once it is handed over.
  if (process.send) process.send(report, () => process.exit(0));
  else process.exit(0);
});
