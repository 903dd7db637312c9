// Shared machinery of the benchmarks: a fresh database with the corpus, the SMTP sink and app processes as children,
// and progress polling. Used by bench/run.ts (the day's runs) and bench/faults.ts (the fault runs).
import { type ChildProcess, fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import cliProgress from "cli-progress";
import { PROJECT_ROOT } from "../src/config.ts";
import { ingestPath } from "../src/corpus/ingest.ts";
import { createDb, type Db } from "../src/db/client.ts";
import { dropDatabase, ensureDatabase, MIGRATIONS_DIR, SCHEMA_PATH } from "../src/db/database.ts";
import { withDatabase } from "../src/db/embedded.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import { syncTopics } from "../src/topics/topics.ts";
import { type RestartablePostgres, startRestartablePostgres } from "../test/support/postgres-server.ts";

export const DATE = "2026-11-24";
export const POOL = 10;
export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
export const SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const SHARED_CORPUS = path.resolve(PROJECT_ROOT, "..", "shared", "corpus");
const tsx = ["--import", "tsx"];

export type Harness = Awaited<ReturnType<typeof createHarness>>;

/** What an app process reports over IPC (bench/app.ts): plan figures, then at the end its send figures. */
export type AppMessage = Record<string, any>;

export async function createHarness(nodeFlags: string[], opts: { papersSeenAt?: Date } = {}) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-bench-"));
  // Our own embedded server can be SIGKILLed and restarted (a fault run); a DATABASE_URL server cannot. It loads
  // pg_stat_statements (where each statement's time goes), and we know its folder (its CPU time).
  const restartable: RestartablePostgres | undefined = process.env.DATABASE_URL
    ? undefined
    : await startRestartablePostgres({ port: 56000 + (process.pid % 4000), settings: { shared_preload_libraries: "pg_stat_statements" } });
  const server = restartable ?? { url: process.env.DATABASE_URL!, stop: async () => {} };
  const pgDataDir = restartable?.dataDir;
  const dbName = `tpd_bench_${Date.now()}`;
  await ensureDatabase(server.url, dbName);
  const dbUrl = withDatabase(server.url, dbName);
  await applyMigrations({ connectionString: dbUrl, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
  const db: Db = createDb(dbUrl);
  const statementStats = await db.$executeRawUnsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").then(
    () => true,
    () => false,
  );
  await syncTopics(db);
  const corpus = fs.existsSync(SHARED_CORPUS) ? SHARED_CORPUS : path.join(PROJECT_ROOT, "corpus");
  if (corpus !== SHARED_CORPUS) console.warn(`shared corpus not found at ${SHARED_CORPUS}: using the sample corpus in corpus/`);
  // First seen on the morning of the benchmark's date (or `papersSeenAt`), so the papers are inside the trending window.
  const seenAt = opts.papersSeenAt ?? new Date(`${DATE}T00:00:00Z`);
  const ingest = await ingestPath(db, corpus, () => seenAt);
  console.log(`database ${dbName}: ${ingest.papers} papers from ${path.relative(process.cwd(), corpus)}`);

  const freePort = () => 57000 + Math.floor(Math.random() * 3000);
  const sinkLog = () => path.join(scratch, `sink-${Date.now()}.log`);

  /** `proxy`: behind a relay that can play black hole ({ blackhole: ms }). */
  function startSink(port: number, log: string, failRate = 0, opts: { proxy?: boolean } = {}): Promise<ChildProcess> {
    const args = ["--port", String(port), "--log", log, "--fail-rate", String(failRate), ...(opts.proxy ? ["--proxy"] : [])];
    const child = fork(path.join(PROJECT_ROOT, "bench/smtp-sink.ts"), args, { execArgv: tsx });
    return new Promise((resolve, reject) => {
      child.once("message", () => resolve(child));
      child.once("exit", (code) => reject(new Error(`sink exited ${code}`)));
    });
  }

  function deliveries(log: string) {
    const counts = new Map<string, number>();
    if (fs.existsSync(log)) for (const to of fs.readFileSync(log, "utf8").split("\n")) if (to) counts.set(to, (counts.get(to) ?? 0) + 1);
    return counts;
  }

  function startApp(smtpUrl: string, plan: boolean, env: Record<string, string> = {}) {
    const messages: AppMessage[] = [];
    const child = fork(path.join(PROJECT_ROOT, "bench/app.ts"), plan ? ["--plan", "--date", DATE] : ["--date", DATE], {
      // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each app process there (open in Chrome DevTools).
      execArgv: [...tsx, ...(process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []), ...nodeFlags],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        DATABASE_URL: dbUrl,
        SMTP_URL: smtpUrl,
        APP_SECRET: SECRET,
        PUBLIC_BASE_URL: "https://digest.example.com",
        MAIL_FROM: "Trending Papers Digest <digest@digest.example.com>",
        SMTP_POOL_SIZE: String(POOL),
        DIGEST_WORKER_CONCURRENCY: String(CONCURRENCY),
        DIGEST_RETRY_DELAY_SECONDS: "1",
        DIGEST_SEND_LEASE_SECONDS: "5",
        LOG_LEVEL: "error",
        ...(process.env.BENCH_HEAP_PROFILE ? { BENCH_HEAP_PROFILE: process.env.BENCH_HEAP_PROFILE } : {}),
        ...env,
      },
    });
    child.on("message", (m) => messages.push(m as AppMessage));
    let exitCode: number | null | undefined;
    child.on("exit", (code) => (exitCode = code));
    const message = (key: string) =>
      new Promise<AppMessage>((resolve, reject) => {
        const check = () => {
          const found = messages.find((m) => key in m);
          if (found) resolve(found);
          // A process that died without a word must not leave the bench waiting for ever.
          else if (exitCode !== undefined) setTimeout(() => (messages.find((m) => key in m) ? check() : reject(new Error(`app process exited (${exitCode}) without "${key}"`))), 500);
          else setTimeout(check, 50);
        };
        check();
      });
    const stop = async () => {
      child.kill("SIGTERM");
      return message("done");
    };
    const send = async () => {
      await message("ready");
      child.send({ send: true });
    };
    return { child, message, stop, send };
  }

  async function finishedDigests() {
    const rows = await db.$queryRaw<{ done: bigint; open: bigint }[]>`
      SELECT count(*) FILTER (WHERE status IN ('sent', 'failed')) AS done, count(*) FILTER (WHERE status IN ('planned', 'sending')) AS open FROM digests`;
    return { done: Number(rows[0]!.done), open: Number(rows[0]!.open) };
  }

  /**
   * Waits until every digest is sent or failed. `sinkLog`: the sink's log of accepted recipients, counted instead of
   * asking PostgreSQL until it holds `total` lines (and at least every 10 s, in case some digest fails): the count over
   * every digest is PostgreSQL work during the app's runs only (~50 ms a query at 100,000 digests).
   */
  async function waitUntilSent(total: number, label: string, onProgress?: (done: number) => Promise<void> | void, sinkLog?: string) {
    const bar = process.stdout.isTTY ? new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} {rate}/s`, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(total, 0, { rate: 0 });
    const started = performance.now();
    let lastLog = 0;
    const accepted = sinkLog ? lineCounter(sinkLog) : undefined;
    let lastAsked = performance.now();
    for (;;) {
      const delivered = accepted?.();
      if (delivered !== undefined && delivered < total && performance.now() - lastAsked < 10_000) {
        bar?.update(delivered, { rate: Math.round(delivered / ((performance.now() - started) / 1000)) });
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      lastAsked = performance.now();
      // The database may be away (a fault run): keep polling until it answers again.
      const { done, open } = await finishedDigests().catch(() => ({ done: -1, open: -1 }));
      if (done < 0) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const rate = Math.round(done / ((performance.now() - started) / 1000));
      bar?.update(done, { rate });
      if (!bar && performance.now() - lastLog > 5000) {
        console.log(`${label}: ${done}/${total} (${rate}/s)`);
        lastLog = performance.now();
      }
      await onProgress?.(done);
      if (done >= total && open === 0) break;
      // Once a second unless a fault run waits for its moment: this count over every digest is PostgreSQL work during
      // the app's runs only (every 250 ms it took ~1 s of PostgreSQL's CPU per 20,000 digests); the rates come from
      // the sink's acceptance times, not from here.
      await new Promise((r) => setTimeout(r, onProgress ? 250 : 1000));
    }
    bar?.stop();
  }

  /** Counts a growing file's lines, reading only what was appended since the last call. */
  function lineCounter(file: string) {
    let offset = 0;
    let lines = 0;
    const chunk = Buffer.alloc(1 << 20);
    return () => {
      const fd = fs.openSync(file, "r");
      try {
        for (;;) {
          const n = fs.readSync(fd, chunk, 0, chunk.length, offset);
          if (n === 0) break;
          offset += n;
          for (let i = 0; i < n; i++) if (chunk[i] === 10) lines += 1;
        }
      } finally {
        fs.closeSync(fd);
      }
      return lines;
    };
  }

  async function resetDay() {
    await db.digest.deleteMany();
    await db.$executeRawUnsafe(`DELETE FROM pgboss.job WHERE name = 'digest-send'`).catch(() => {});
  }

  /** The statements that took the most time since the last call (pg_stat_statements), and a reset. */
  async function topStatements(limit = 10) {
    if (!statementStats) return [];
    const rows = await db.$queryRawUnsafe<{ query: string; calls: bigint; total_ms: number; mean_ms: number; rows: bigint }[]>(
      `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query, calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       ORDER BY total_exec_time DESC LIMIT ${Number(limit)}`,
    );
    await db.$executeRawUnsafe("SELECT pg_stat_statements_reset()");
    return rows.map((r) => ({ query: r.query, calls: Number(r.calls), totalMs: r.total_ms, meanMs: r.mean_ms, rows: Number(r.rows) }));
  }

  /** CPU time (ms) of one process so far (Linux; NaN elsewhere). */
  function processCpuMs(pid: number | undefined): number {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      return NaN;
    }
  }

  /** CPU time (ms) of our PostgreSQL server so far: the postmaster, its reaped children and its live backends (Linux). */
  function postgresCpuMs(): number {
    if (!pgDataDir) return NaN;
    try {
      const pid = Number(fs.readFileSync(path.join(pgDataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      const ticks = (statPid: string) => {
        const stat = fs.readFileSync(`/proc/${statPid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      };
      const own = ticks(String(pid)); // fields from 3 (state): utime 14, stime 15, cutime 16, cstime 17 → index 11..14
      let total = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
      for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const f = ticks(entry);
          if (Number(f[1]) === pid) total += Number(f[11]) + Number(f[12]);
        } catch {
          // gone meanwhile
        }
      }
      return (total * 1000) / 100; // USER_HZ is 100 on Linux
    } catch {
      return NaN;
    }
  }

  /**
   * PostgreSQL's CPU time by kind of process (client backends, autovacuum, checkpointer, WAL writer…) from now until
   * the returned function is called, sampled every 200 ms from /proc (a process that lives less than that is missed).
   */
  function postgresCpuByRole(): () => Map<string, number> {
    const start = new Map<string, number>();
    const last = new Map<string, { role: string; ms: number }>();
    const sample = (first: boolean) => {
      if (!pgDataDir) return;
      try {
        const master = fs.readFileSync(path.join(pgDataDir, "postmaster.pid"), "utf8").split("\n")[0]!;
        for (const entry of fs.readdirSync("/proc")) {
          if (!/^\d+$/.test(entry)) continue;
          try {
            const f = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
            if (fields[1] !== master) continue;
            const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
            const title = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
            const role = /autovacuum/.test(title) ? "autovacuum" : (/postgres: (checkpointer|background writer|walwriter|wal writer)/.exec(title)?.[1] ?? "backends");
            if (first) start.set(entry, ms);
            last.set(entry, { role, ms });
          } catch {
            // gone meanwhile
          }
        }
      } catch {
        // no server folder (DATABASE_URL)
      }
    };
    sample(true);
    const timer = setInterval(() => sample(false), 200);
    return () => {
      clearInterval(timer);
      sample(false);
      const byRole = new Map<string, number>();
      for (const [pid, { role, ms }] of last) byRole.set(role, (byRole.get(role) ?? 0) + ms - (start.get(pid) ?? 0));
      return byRole;
    };
  }

  async function close() {
    await db.$disconnect();
    await dropDatabase(server.url, dbName);
    await server.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  return { db, dbUrl, scratch, papers: ingest.papers, restartable, topStatements, postgresCpuMs, postgresCpuByRole, processCpuMs, freePort, sinkLog, startSink, deliveries, startApp, waitUntilSent, resetDay, close };
}
