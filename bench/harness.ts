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
export const CONCURRENCY = 100;
export const SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const SHARED_CORPUS = path.resolve(PROJECT_ROOT, "..", "shared", "corpus");
const tsx = ["--import", "tsx"];

export type Harness = Awaited<ReturnType<typeof createHarness>>;

export async function createHarness(nodeFlags: string[], opts: { papersSeenAt?: Date } = {}) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-bench-"));
  // Our own embedded server can be SIGKILLed and restarted (a fault run); a DATABASE_URL server cannot.
  const restartable: RestartablePostgres | undefined = process.env.DATABASE_URL ? undefined : await startRestartablePostgres({ port: 56000 + (process.pid % 4000) });
  const server = restartable ?? { url: process.env.DATABASE_URL!, stop: async () => {} };
  const dbName = `tpd_bench_${Date.now()}`;
  await ensureDatabase(server.url, dbName);
  const dbUrl = withDatabase(server.url, dbName);
  await applyMigrations({ connectionString: dbUrl, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
  const db: Db = createDb(dbUrl);
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
    const messages: Record<string, number>[] = [];
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
        ...env,
      },
    });
    child.on("message", (m) => messages.push(m as Record<string, number>));
    const message = (key: string) =>
      new Promise<Record<string, number>>((resolve) => {
        const check = () => {
          const found = messages.find((m) => key in m);
          if (found) resolve(found);
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

  async function waitUntilSent(total: number, label: string, onProgress?: (done: number) => Promise<void> | void) {
    const bar = process.stdout.isTTY ? new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} {rate}/s`, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(total, 0, { rate: 0 });
    const started = performance.now();
    let lastLog = 0;
    for (;;) {
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
      await new Promise((r) => setTimeout(r, 250));
    }
    bar?.stop();
  }

  async function resetDay() {
    await db.digest.deleteMany();
    await db.$executeRawUnsafe(`DELETE FROM pgboss.job WHERE name = 'digest-send'`).catch(() => {});
  }

  async function close() {
    await db.$disconnect();
    await dropDatabase(server.url, dbName);
    await server.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  return { db, dbUrl, scratch, papers: ingest.papers, restartable, freePort, sinkLog, startSink, deliveries, startApp, waitUntilSent, resetDay, close };
}
