// `npm run bench:plan [-- --subscribers 100000 --feedback 0.1 --days 1 --batch 5000]`: planning alone. N readers
// (1–4 topics, a third with keywords, a share with feedback profiles), then one planning process per day for `days`
// consecutive days: from the second day on, readers have a history of papers that must not come again. Each day
// reports the matcher's refresh and the planning apart, and the planning process's peak RSS (no heap cap).
import { fork } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../src/config.ts";
import { createHarness, DATE } from "./harness.ts";
import { addFeedback, createSubscribers } from "./subscribers.ts";

const { values } = parseArgs({
  options: { subscribers: { type: "string", default: "100000" }, feedback: { type: "string", default: "0.1" }, days: { type: "string", default: "1" }, batch: { type: "string", default: "5000" } },
});
const N = Number(values.subscribers);
const load = os.loadavg()[0]!;
if (load > os.cpus().length / 2) console.warn(`warning: load average ${load.toFixed(1)} on ${os.cpus().length} cores before the run; timings from a busy machine are not the app's`);
const h = await createHarness([]);
try {
  let t = performance.now();
  await createSubscribers(h.db, N);
  await addFeedback(h.db, Number(values.feedback));
  const voters = await h.db.feedback.findMany({ distinct: ["subscriberId"], select: { subscriberId: true } });
  console.log(`${N} readers (${voters.length} with feedback) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const rows = [];
  for (let day = 0; day < Number(values.days); day++) {
    const date = new Date(new Date(`${DATE}T00:00:00Z`).getTime() + day * 86_400_000).toISOString().slice(0, 10);
    const child = fork(path.join(PROJECT_ROOT, "bench/plan-day.ts"), ["--url", h.dbUrl, "--date", date, "--batch", values.batch], {
      // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each planning process there.
      execArgv: ["--import", "tsx", ...(process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [])],
    });
    const result = await new Promise<{ refreshMs: number; planMs: number; planned: number; skipped: number; peakRssMb: number }>((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code) => reject(new Error(`planning process exited ${code}`)));
    });
    await new Promise((r) => child.once("exit", r));
    const [counted] = await h.db.$queryRaw<{ items: number }[]>`SELECT coalesce(sum(cardinality(paper_ids)), 0)::int AS items FROM digests WHERE local_date = ${date}::date`;
    const items = counted!.items;
    rows.push({ date, ...result, items });
    console.log(
      `${date}: matcher refresh ${(result.refreshMs / 1000).toFixed(1)} s; planned ${result.planned} digests (${result.skipped} skipped, ${items} papers) in ` +
        `${(result.planMs / 1000).toFixed(1)} s; planning process peak RSS ${result.peakRssMb.toFixed(0)} MB`,
    );
  }
  console.log(`\n| day | readers | planned | skipped | papers | refresh (s) | planning (s) | peak RSS (MB) |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const [i, r] of rows.entries()) {
    console.log(`| ${i + 1} | ${N} | ${r.planned} | ${r.skipped} | ${r.items} | ${(r.refreshMs / 1000).toFixed(1)} | ${(r.planMs / 1000).toFixed(1)} | ${r.peakRssMb.toFixed(0)} |`);
  }
} finally {
  await h.close();
}
