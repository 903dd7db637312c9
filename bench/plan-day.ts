// One day's planning in a process of its own (forked by bench/plan.ts), as the app plans: the matcher's refresh,
// then every reader's digest for the date. Reports both times and this process's peak RSS to the parent.
import { parseArgs } from "node:util";
import { createDb } from "../src/db/client.ts";
import { planAllDigests, prepareMatching } from "../src/digest/plan.ts";

const { values } = parseArgs({ options: { url: { type: "string" }, date: { type: "string" }, batch: { type: "string", default: "5000" } } });
const db = createDb(values.url!);
let t = performance.now();
await prepareMatching(db);
const refreshMs = performance.now() - t;
t = performance.now();
const plan = await planAllDigests(db, { now: new Date(`${values.date}T12:00:00Z`), date: values.date, batchSize: Number(values.batch) });
const planMs = performance.now() - t;
process.send!({ refreshMs, planMs, planned: plan.planned, skipped: plan.skipped, peakRssMb: process.resourceUsage().maxRSS / 1024 });
await db.$disconnect();
