// Planning in a lean process of its own. The process that plans in production is the app (Prisma and its WASM query
// compiler, pg-boss, Express, the mail thread) or `digest run`; planning a million readers there peaked at 518–583 MB
// of RSS. The planning process (planner-child.ts) loads pg and the planner only, plans the batches, and hands each
// committed batch's digest ids back over IPC: the parent enqueues them (onBatch), as it would have in-process. Safe to
// end at any point: a batch is one transaction, the next run plans what is left, and digests planned but not
// enqueued (the parent died) are the sweeper's.
import { fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { OnBatch, PlanRequest, PlanResult } from "./planner.ts";

export interface PlannerProcessOptions {
  /** Node flags for the planning process (e.g. --cpu-prof); by default none, whatever this process runs with. */
  execArgv?: string[];
}

/** What the planning process used: its peak RSS and CPU time. */
export interface PlannerUsage {
  peakRssMb: number;
  cpuMs: number;
}

/** The planning process's messages, in order: a batch per committed batch, then done or failed. */
export type PlannerMessage =
  | { type: "batch"; planned: string[]; skipped: number }
  | { type: "done"; result: PlanResult; usage: PlannerUsage }
  | { type: "failed"; error: SerializedError };

export interface SerializedError {
  message: string;
  /** pg's and Node's error codes: an unreachable database must still read as one (db/availability.ts). */
  code?: string;
  stack?: string;
}

/** A failure inside the planning process, with its message and code (its stack appended to this one). */
export class PlanningProcessError extends Error {
  readonly code?: string;
  constructor(error: SerializedError) {
    super(`planning process: ${error.message}`);
    this.name = "PlanningProcessError";
    if (error.code !== undefined) this.code = error.code;
    if (error.stack) this.stack = `${this.stack}\n  in the planning process: ${error.stack}`;
  }
}

/** The planning process's entry and the flags it needs: the compiled build runs with plain node, the sources with tsx. */
function plannerEntry(): { path: string; execArgv: string[] } {
  const compiled = import.meta.url.endsWith(".js");
  const path = fileURLToPath(new URL(compiled ? "./planner-child.js" : "./planner-child.ts", import.meta.url));
  if (compiled) return { path, execArgv: ["--enable-source-maps"] };
  return { path, execArgv: ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href] };
}

/**
 * Plans `request` in a process of its own and calls `onBatch` here, in order, for each batch it committed. Resolves
 * with the totals when the process has finished; rejects with the process's error (PlanningProcessError), with
 * onBatch's error (the process is then stopped: what it had not committed rolls back), or when it ends without
 * finishing (killed, out of memory).
 */
export function planInOwnProcess(
  connectionString: string,
  request: PlanRequest,
  onBatch: OnBatch | undefined,
  opts: PlannerProcessOptions = {},
): Promise<PlanResult & { planner: PlannerUsage }> {
  const entry = plannerEntry();
  const child = fork(entry.path, [], { execArgv: [...entry.execArgv, ...(opts.execArgv ?? [])], stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "json" });
  return new Promise((resolve, reject) => {
    let relayed: Promise<void> = Promise.resolve();
    let failure: Error | undefined;
    let done: Extract<PlannerMessage, { type: "done" }> | undefined;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (failure) reject(failure);
      else if (done) resolve({ ...done.result, planner: done.usage });
      else reject(new PlanningProcessError({ message: `ended (${child.signalCode ?? `exit code ${child.exitCode}`}) before it finished` }));
    };
    child.on("message", (m: PlannerMessage) => {
      if (m.type === "batch") {
        // One at a time and in order, as in-process; after a failure, nothing more is handed on.
        relayed = relayed.then(async () => {
          if (failure) return;
          try {
            await onBatch?.(m.planned, m.skipped);
          } catch (err) {
            failure = err as Error;
            child.kill();
          }
        });
      } else if (m.type === "done") done = m;
      else failure ??= new PlanningProcessError(m.error);
    });
    child.on("error", (err) => {
      failure ??= err;
      // Not started at all: no close event follows.
      if (child.pid === undefined) settle();
    });
    // After the exit and the IPC channel's end: every message has arrived.
    child.on("close", () => void relayed.then(settle));
    child.send({ connectionString, request });
  });
}
