// One day's planning in a process of its own (forked by bench/plan.ts), as the app plans: the matcher's refresh,
// then every reader's digest for the date. Reports both times, the CPU time and this process's peak RSS to the parent.
// Plain JavaScript on purpose: by default it runs the compiled build (dist/) with plain node, as production does
// (src/launch.js); `--source src` runs the TypeScript sources, when the parent started it with tsx.
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { url: { type: "string" }, date: { type: "string" }, batch: { type: "string", default: "5000" }, parallel: { type: "string", default: "2" }, source: { type: "string", default: "dist" } } });
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
const plan = await planAllDigests(db, { now: new Date(`${values.date}T12:00:00Z`), date: values.date, batchSize: Number(values.batch), parallel: Number(values.parallel) });
const planMs = performance.now() - t;
const used = process.cpuUsage(cpu);
process.send({ refreshMs, planMs, planCpuMs: (used.user + used.system) / 1000, planned: plan.planned, skipped: plan.skipped, peakRssMb: process.resourceUsage().maxRSS / 1024 });
await db.$disconnect();
