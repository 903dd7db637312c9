// The planning process's entry (forked by planner-process.ts): one request over IPC, the batches planned on a plain
// pg pool, each committed batch's ids sent back, then the totals and what the process used; a failure is sent back
// with its message and code. Loads no Prisma client, no config and no logger: everything it needs comes in the request.
import v8 from "node:v8";
import { createPool } from "../db/pool.ts";
import { planBatches, type PlanRequest } from "./planner.ts";
import type { PlannerMessage, SerializedError } from "./planner-process.ts";

// Each batch's rows, sets and statement parameters live while PostgreSQL works on it, so they survive two scavenges and
// are promoted; by default V8 then lets the old generation grow to ~4× its live size before a full collection (live
// ~40 MB, heap ~180 MB at 100k readers: 265–295 MB of RSS). Growing it by 2× instead: 203–249 MB at 100k–1M readers,
// with no CPU cost beyond the noise (a full collection of this heap takes ~5–15 ms; 1.5× cost more; README, bench
// "Planning"). Not a cap: the heap still grows with what is live. Set here rather than as a command-line flag, so a
// Node whose V8 lacks the flag prints one line and plans on, instead of refusing to start.
v8.setFlagsFromString("--heap-growing-percent=100");

const send = (message: PlannerMessage) => new Promise<void>((resolve, reject) => process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())));

let finished = false;
// The parent is gone: stop (a batch in flight rolls back with its connection); its next run plans the rest.
process.once("disconnect", () => {
  if (!finished) process.exit(1);
});

process.once("message", async ({ connectionString, request }: { connectionString: string; request: PlanRequest }) => {
  const pool = createPool(connectionString, { poolSize: (request.parallel ?? 2) + 2 });
  // An idle connection's error (a database restart) also fails the next query, which reports it.
  pool.on("error", () => {});
  const cpu = process.cpuUsage();
  try {
    const result = await planBatches(pool, request, (planned, skipped) => send({ type: "batch", planned, skipped }));
    const used = process.cpuUsage(cpu);
    await send({ type: "done", result, usage: { peakRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (used.user + used.system) / 1000 } });
  } catch (err) {
    process.exitCode = 1;
    await send({ type: "failed", error: serialize(err) }).catch(() => {});
  } finally {
    finished = true;
    await pool.end().catch(() => {});
    process.disconnect();
  }
});

function serialize(err: unknown): SerializedError {
  const e = (err ?? {}) as { message?: unknown; code?: unknown; stack?: unknown; errors?: unknown[] };
  // A connection refused on every address is an AggregateError: its first error carries the code.
  const code = typeof e.code === "string" ? e.code : (e.errors?.[0] as { code?: unknown } | undefined)?.code;
  return { message: typeof e.message === "string" && e.message ? e.message : String(err), code: typeof code === "string" ? code : undefined, stack: typeof e.stack === "string" ? e.stack : undefined };
}
