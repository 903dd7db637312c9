// `npm run bench:plan [-- --subscribers 100000 --feedback 0.1 --days 1 --batch 5000 --parallel 2 --source dist --planner own --pg-stats]`: planning alone.
// N readers (1–4 topics, a third with keywords, a share with feedback profiles), then one planning process per day for
// `days` consecutive days: from the second day on, readers have a history of papers that must not come again. Each day
// reports the matcher's refresh and the planning apart, the planning's CPU time in the planning process and in
// PostgreSQL, the load average, and the peak RSS (no heap cap) of the day's process (the matcher's refresh, with
// Prisma, as in the app) and of the lean planning process it forks (`--planner own`, as production plans; `inline`:
// planned in the day's process, as before). Both run the compiled build with plain node, as production does (built
// first); `--source src` runs the sources through tsx. BENCH_NODE_FLAGS (e.g. --trace-gc) go to both.
// `--pg-stats` prints each day's most expensive statements (pg_stat_statements, nested ones such as foreign-key checks
// included).
import { execFileSync, fork } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../src/config.ts";
import { createHarness, DATE } from "./harness.ts";
import { addFeedback, createSubscribers } from "./subscribers.ts";

const { values } = parseArgs({
  options: { subscribers: { type: "string", default: "100000" }, feedback: { type: "string", default: "0.1" }, days: { type: "string", default: "1" }, batch: { type: "string", default: "5000" }, parallel: { type: "string", default: "2" }, source: { type: "string", default: "dist" }, planner: { type: "string", default: "own" }, "pg-stats": { type: "boolean", default: false } },
});
const N = Number(values.subscribers);
const load = os.loadavg()[0]!;
if (load > os.cpus().length / 2) console.warn(`warning: load average ${load.toFixed(1)} on ${os.cpus().length} cores before the run; timings from a busy machine are not the app's`);
if (values.source !== "dist" && values.source !== "src") throw new Error(`--source is dist or src, got ${values.source}`);
if (values.planner !== "own" && values.planner !== "inline") throw new Error(`--planner is own or inline, got ${values.planner}`);
if (values.source === "dist") execFileSync("npm", ["run", "--silent", "build"], { cwd: PROJECT_ROOT, stdio: "inherit" });
/** Both processes' peaks: the day's (refresh, with Prisma) and the planning process's (none when planned inline). */
const rss = (r: { peakRssMb: number; plannerPeakRssMb?: number }) =>
  r.plannerPeakRssMb === undefined ? `${r.peakRssMb.toFixed(0)} MB (planned in the day's process)` : `${r.peakRssMb.toFixed(0)} MB in the day's process, ${r.plannerPeakRssMb.toFixed(0)} MB in the planning process`;
const h = await createHarness([]);
try {
  let t = performance.now();
  await createSubscribers(h.db, N);
  await addFeedback(h.db, Number(values.feedback));
  // A real planner reads tables autovacuum has long since vacuumed and analysed; a bulk load of a million readers
  // seconds ago has not been, and its vacuum would otherwise run inside day 1's planning (and count in its CPU).
  await h.db.$executeRawUnsafe("VACUUM ANALYZE");
  if (values["pg-stats"]) {
    const [database] = await h.db.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
    await h.db.$executeRawUnsafe(`ALTER DATABASE "${database!.name}" SET pg_stat_statements.track = 'all'`);
  }
  const voters = await h.db.feedback.findMany({ distinct: ["subscriberId"], select: { subscriberId: true } });
  console.log(`${N} readers (${voters.length} with feedback) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const rows = [];
  for (let day = 0; day < Number(values.days); day++) {
    const date = new Date(new Date(`${DATE}T00:00:00Z`).getTime() + day * 86_400_000).toISOString().slice(0, 10);
    const child = fork(path.join(PROJECT_ROOT, "bench/plan-day.mjs"), ["--url", h.dbUrl, "--date", date, "--batch", values.batch, "--parallel", values.parallel, "--source", values.source, "--planner", values.planner], {
      // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each planning process there.
      execArgv: [
        ...(values.source === "src" ? ["--import", "tsx"] : []),
        ...(process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []),
        ...(process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
      ],
    });
    const load = os.loadavg()[0]!;
    // PostgreSQL's CPU time from the end of the refresh (the child says when) to the end of the planning.
    let pgAtStart = NaN;
    let pgByRole: (() => Map<string, number>) | undefined;
    const result = await new Promise<{ refreshMs: number; planMs: number; planCpuMs: number; planned: number; skipped: number; peakRssMb: number; plannerPeakRssMb?: number }>((resolve, reject) => {
      child.on("message", (m: { phase?: string }) => {
        if (m.phase === "refreshed") {
          pgAtStart = h.postgresCpuMs();
          pgByRole = h.postgresCpuByRole();
          if (values["pg-stats"]) void h.topStatements(0);
        }
        else resolve(m as never);
      });
      child.once("exit", (code) => reject(new Error(`planning process exited ${code}`)));
    });
    const pgCpuMs = h.postgresCpuMs() - pgAtStart;
    const roles = [...(pgByRole?.() ?? [])].sort((a, b) => b[1] - a[1]).map(([role, ms]) => `${role} ${(ms / 1000).toFixed(1)} s`);
    await new Promise((r) => child.once("exit", r));
    const [counted] = await h.db.$queryRaw<{ items: number }[]>`SELECT coalesce(sum(cardinality(paper_ids)), 0)::int AS items FROM digests WHERE local_date = ${date}::date`;
    const items = counted!.items;
    rows.push({ date, ...result, pgCpuMs, load, items });
    if (values["pg-stats"]) {
      console.log(`${date}: statements by total time (ms; calls; rows):`);
      for (const st of await h.topStatements(12)) console.log(`  ${st.totalMs.toFixed(0)}\t${st.calls}\t${st.rows}\t${st.query}`);
    }
    console.log(
      `${date}: matcher refresh ${(result.refreshMs / 1000).toFixed(1)} s; planned ${result.planned} digests (${result.skipped} skipped, ${items} papers) in ` +
        `${(result.planMs / 1000).toFixed(1)} s (CPU: planning process ${(result.planCpuMs / 1000).toFixed(1)} s, PostgreSQL ${(pgCpuMs / 1000).toFixed(1)} s; ` +
        `load average ${load.toFixed(1)} at the start); peak RSS ${rss(result)}; PostgreSQL CPU by process (sampled): ${roles.join(", ")}`,
    );
  }
  console.log(`\n| day | readers | planned | skipped | papers | refresh (s) | planning (s) | planning CPU: Node / PostgreSQL (s) | load | peak RSS (MB): day's process / planning process |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const [i, r] of rows.entries()) {
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(`| ${i + 1} | ${N} | ${r.planned} | ${r.skipped} | ${r.items} | ${s(r.refreshMs)} | ${s(r.planMs)} | ${s(r.planCpuMs)} / ${s(r.pgCpuMs)} | ${r.load.toFixed(1)} | ${r.peakRssMb.toFixed(0)} / ${r.plannerPeakRssMb?.toFixed(0) ?? "(inline)"} |`);
  }
} finally {
  await h.close();
}
