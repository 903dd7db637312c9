// `digest run` outlives a database blip: it waits for PostgreSQL (bounded by DATABASE_WAIT_SECONDS) with one clear
// message and goes on; if the database stays away, one line says what is left and that running it again is safe.
// Never a Prisma stack trace.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { createDb, type Db } from "../../src/db/client.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers, RECENTLY } from "../support/digest.ts";
import { freePort, type RestartablePostgres, startRestartablePostgres } from "../support/postgres-server.ts";
import { TEST_SECRET } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

const READERS = 80;
const CONCURRENCY = 4;
let postgres: RestartablePostgres;
let url: string;
let db: Db;
let sink: SmtpSink;

beforeAll(async () => {
  postgres = await startRestartablePostgres();
  url = await postgres.createDatabase("cli_blip");
  db = createDb(url);
  await syncTopics(db);
  await ingestPapers(db, Array.from({ length: 6 }, (_, i) => ({ title: `Lifelong Continual Learning Study ${i}`, abstract: abstractAbout("continual learning", i) })), RECENTLY);
  for (let i = 0; i < READERS; i++) await addSubscriber(db, `r${i}@example.com`, { topics: ["continual-learning"] });
  sink = await startSmtpSink();
  sink.delayMs = 30; // a slow server, so the database goes away mid-run
}, 120_000);
afterAll(async () => {
  await sink?.stop();
  await db?.$disconnect();
  await postgres?.stop();
});
beforeEach(() => sink.clear());

function digestRun(date: string, env: Record<string, string> = {}): ChildProcess & { output: () => string; ended: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/cli/index.ts"), "digest", "run", "--date", date], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      DATABASE_URL: url,
      SMTP_URL: sink.url,
      APP_SECRET: TEST_SECRET,
      DIGEST_WORKER_CONCURRENCY: String(CONCURRENCY),
      DIGEST_SEND_LEASE_SECONDS: "2",
      DIGEST_RETRY_DELAY_SECONDS: "1",
      LOG_FORMAT: "json",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  // Listened to from the start: the run may end while the test is still busy with the database.
  const ended = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return Object.assign(child, { output: () => output, ended });
}

const exited = (child: { ended: Promise<number | null> }) => child.ended;

function expectNoStackTrace(output: string) {
  expect(output, output).not.toMatch(/^\s+at /m);
  expect(output, output).not.toMatch(/"stack"/);
  expect(output, output).not.toMatch(/PrismaClient|Invalid `/);
}

describe("digest run and a database blip", () => {
  it("waits for PostgreSQL to come back with one message, then finishes the run", async () => {
    const run = digestRun("2026-11-24");
    await eventually(() => sink.received.length >= 15, 60_000);
    await postgres.kill();
    await new Promise((r) => setTimeout(r, 3_000));
    await postgres.start();
    const code = await exited(run);
    const output = run.output();
    expect(code, output).toBe(0);
    expectNoStackTrace(output);
    expect(output.match(/database unreachable/g), output).toHaveLength(1);
    expect(output).toMatch(/database reachable again/);
    expect(output).toMatch(/done: 80 sent/);
    const perReader = new Map<string, number>();
    for (const mail of sink.received) perReader.set(mail.to, (perReader.get(mail.to) ?? 0) + 1);
    expect(perReader.size).toBe(READERS);
    expect([...perReader.values()].reduce((sum, n) => sum + n - 1, 0)).toBeLessThanOrEqual(CONCURRENCY);
  }, 180_000);

  it("waits for a database that is not there at the start, then stops with one line and no stack trace", async () => {
    const nowhere = `postgresql://postgres:postgres@127.0.0.1:${await freePort()}/nothing`;
    const run = digestRun("2026-11-23", { DATABASE_URL: nowhere, DATABASE_WAIT_SECONDS: "2" });
    const code = await exited(run);
    const output = run.output();
    expect(code, output).toBe(75);
    expectNoStackTrace(output);
    expect(output.match(/database unreachable/g), output).toHaveLength(1);
    expect(output.trim().split("\n").at(-1)).toMatch(/^gave up waiting for the database after 2 s: it was unreachable before planning was done; nothing is lost/);
  }, 60_000);

  it("gives up after DATABASE_WAIT_SECONDS with one line saying what is left and that re-running is safe; the re-run finishes", async () => {
    const run = digestRun("2026-11-25", { DATABASE_WAIT_SECONDS: "3" });
    await eventually(() => sink.received.length >= 15, 60_000);
    await postgres.kill();
    const code = await exited(run);
    const output = run.output();
    expect(code, output).toBe(75);
    expectNoStackTrace(output);
    const lastLine = output.trim().split("\n").at(-1)!;
    expect(lastLine).toMatch(/gave up waiting for the database after 3 s: about \d+ digest\(s\) not sent yet; nothing is lost: run `digest run` again \(safe: it sends only what is left\)/);

    await postgres.start();
    const again = digestRun("2026-11-25");
    expect(await exited(again)).toBe(0);
    expectNoStackTrace(again.output());
    const perReader = new Map<string, number>();
    for (const mail of sink.received) perReader.set(mail.to, (perReader.get(mail.to) ?? 0) + 1);
    expect(perReader.size).toBe(READERS);
    expect([...perReader.values()].reduce((sum, n) => sum + n - 1, 0)).toBeLessThanOrEqual(CONCURRENCY);
    expect(await db.digest.count({ where: { localDate: new Date("2026-11-25"), status: "sent" } })).toBe(READERS);
  }, 180_000);
});
