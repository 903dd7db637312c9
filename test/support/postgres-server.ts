// A PostgreSQL server of a test's (or the benchmark's) own that can be SIGKILLed and started again on the same data
// folder and port, the way a crashed database comes back. Not the shared test server: killing that would fail
// every other test file.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureDatabase, MIGRATIONS_DIR, SCHEMA_PATH } from "../../src/db/database.ts";
import { type EmbeddedServer, startEmbeddedPostgres, withDatabase } from "../../src/db/embedded.ts";
import { applyMigrations } from "../../src/db/migrate.ts";

export interface RestartablePostgres {
  /** Connection string of the `postgres` maintenance database. */
  url: string;
  /** Creates and migrates a database on this server; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** SIGKILL to the postmaster, as a crash would; resolves when it is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same folder and port (crash recovery replays its WAL). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Its data folder (the bench reads the postmaster's pid there). */
  dataDir: string;
}

/** `settings`: extra server settings (the bench loads pg_stat_statements). */
export async function startRestartablePostgres(opts: { port?: number; settings?: Record<string, string> } = {}): Promise<RestartablePostgres> {
  // Not mkdtemp: run as root, PostgreSQL runs as the postgres user, which must be able to reach the folder.
  const dataDir = path.join(os.tmpdir(), `tpd-restartable-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  const port = opts.port ?? (await freePort());
  // persistent: false keeps fsync off (a killed process loses nothing the kernel has; only a machine crash would)
  // and removes the folder on the final stop.
  const launch = () => startEmbeddedPostgres({ dataDir, port, persistent: false, settings: opts.settings });
  let server: EmbeddedServer | undefined = await launch();
  const url = server.url;
  return {
    url,
    dataDir,
    async createDatabase(name) {
      await ensureDatabase(url, name);
      const dbUrl = withDatabase(url, name);
      await applyMigrations({ connectionString: dbUrl, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
      return dbUrl;
    },
    async kill() {
      const pid = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(pid, "SIGKILL");
      while (alive(pid)) await sleep(50);
      // The killed instance is abandoned: its stop() would wait for an exit that already happened.
      server = undefined;
    },
    async start() {
      // Backends of the killed postmaster may hold its shared memory for a moment: PostgreSQL refuses to start
      // until they are gone.
      for (let attempt = 1; ; attempt++) {
        try {
          server = await launch();
          return;
        } catch (err) {
          if (attempt >= 40) throw err;
          await sleep(250);
        }
      }
    },
    async stop() {
      await server?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
