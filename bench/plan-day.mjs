// One day's planning in a process of its own (forked by bench/plan.ts), as the app plans: the matcher's refresh in
// this process (which has the Prisma client, like the app), then every reader's digest for the date, planned in the
// lean planning process (`--planner own`, as the scheduler and `digest run` do) or in this one (`--planner inline`).
// Reports both times, the CPU time and the peak RSS of this process and of the planning process to the parent.
// Plain JavaScript on purpose: by default it runs the compiled build (dist/) with plain node, as production does
// (src/launch.js); `--source src` runs the TypeScript sources, when the parent started it with tsx.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { url: { type: "string" }, date: { type: "string" }, batch: { type: "string", default: "5000" }, parallel: { type: "string", default: "2" }, source: { type: "string", default: "dist" }, planner: { type: "string", default: "own" } },
});
const from = values.source === "src" ? { client: "../src/db/client.ts", plan: "../src/digest/plan.ts" } : { client: "../dist/src/db/client.js", plan: "../dist/src/digest/plan.js" };
const { createDb } = await import(from.client);
const { planAllDigests, prepareMatching } = await import(from.plan);
const db = createDb(values.url);
let t = performance.now();
await prepareMatching(db);
const refreshMs = performance.now() - t;
process.send({ phase: "refreshed" });
t = performance.now();
const cpu = process.cpuUsage();
// The planning process gets this one's profiling and GC-tracing flags (BENCH_CPU_PROFILE, BENCH_NODE_FLAGS), and
// BENCH_PLANNER_FLAGS (flags for it alone).
const flags = [...process.execArgv.filter((f) => /^--(cpu-prof|heap-prof|trace-gc)/.test(f)), ...(process.env.BENCH_PLANNER_FLAGS?.split(/\s+/).filter(Boolean) ?? [])];
const plan = await planAllDigests(db, {
  now: new Date(`${values.date}T12:00:00Z`),
  date: values.date,
  batchSize: Number(values.batch),
  parallel: Number(values.parallel),
  ownProcess: values.planner === "own" ? { execArgv: flags } : false,
});
const planMs = performance.now() - t;
const used = process.cpuUsage(cpu);
const ownCpuMs = (used.user + used.system) / 1000;
process.send({
  refreshMs,
  planMs,
  planCpuMs: ownCpuMs + (plan.planner?.cpuMs ?? 0),
  planned: plan.planned,
  skipped: plan.skipped,
  // This process (the refresh, and the planning when inline) and the planning process.
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  plannerPeakRssMb: plan.planner?.peakRssMb,
});
await db.$disconnect();
