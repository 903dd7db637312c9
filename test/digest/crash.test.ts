// The run is killed with SIGKILL mid-send and started again: every digest is delivered, none is missed, and only
// the messages in flight at the kill may arrive twice. SIGTERM instead finishes in-flight work and duplicates nothing.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers } from "../support/digest.ts";
import { TEST_SECRET } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

const READERS = 120;
const CONCURRENCY = 4;
let database: TestDatabase;
let sink: SmtpSink;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  await ingestPapers(database.db, Array.from({ length: 6 }, (_, i) => ({ title: `Lifelong Continual Learning Study ${i}`, abstract: abstractAbout("continual learning", i) })), new Date()); // `digest run` plans at the real now
  sink = await startSmtpSink();
  sink.delayMs = 15; // a slow server, so the kill lands mid-run
});
afterAll(async () => {
  await sink?.stop();
  await database?.drop();
});
beforeEach(async () => {
  sink.clear();
  await database.db.digest.deleteMany();
  await database.db.subscriber.deleteMany();
  for (let i = 0; i < READERS; i++) await addSubscriber(database.db, `r${i}@example.com`, { topics: ["continual-learning"] });
});

function digestRun(date: string): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/cli/index.ts"), "digest", "run", "--date", date], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      DATABASE_URL: database.url,
      SMTP_URL: sink.url,
      APP_SECRET: TEST_SECRET,
      DIGEST_WORKER_CONCURRENCY: String(CONCURRENCY),
      DIGEST_SEND_LEASE_SECONDS: "2",
      DIGEST_RETRY_DELAY_SECONDS: "1",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return Object.assign(child, { output: () => output });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

function deliveriesPerReader() {
  const counts = new Map<string, number>();
  for (const mail of sink.received) counts.set(mail.to, (counts.get(mail.to) ?? 0) + 1);
  return counts;
}

describe("crash safety of a digest run", () => {
  it("after SIGKILL and a restart, every reader gets the digest and at most the in-flight ones twice", async () => {
    const first = digestRun("2026-11-24");
    await eventually(() => sink.received.length >= 30, 60_000);
    first.kill("SIGKILL");
    await exited(first);
    const beforeRestart = sink.received.length;
    expect(beforeRestart).toBeLessThan(READERS); // the kill really was mid-run

    const second = digestRun("2026-11-24");
    expect(await exited(second)).toBe(0);
    const counts = deliveriesPerReader();
    expect(counts.size).toBe(READERS); // none missed
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY); // only what was in flight at the kill
    expect(await database.db.digest.count({ where: { status: "sent" } })).toBe(READERS);
    console.log(`SIGKILL run: ${beforeRestart} delivered before the kill, ${sink.received.length} in all, ${duplicates} duplicate(s)`);
  }, 120_000);

  it("SIGTERM finishes the emails in flight, and the next run sends the rest without any duplicate", async () => {
    const first = digestRun("2026-11-25");
    await eventually(() => sink.received.length >= 30, 60_000);
    first.kill("SIGTERM");
    expect(await exited(first)).toBe(130);
    const second = digestRun("2026-11-25");
    expect(await exited(second)).toBe(0);
    const counts = deliveriesPerReader();
    expect(counts.size).toBe(READERS);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  }, 120_000);

  it("running the same day again sends nothing new", async () => {
    expect(await exited(digestRun("2026-11-26"))).toBe(0);
    expect(sink.received).toHaveLength(READERS);
    const again = digestRun("2026-11-26");
    expect(await exited(again)).toBe(0);
    expect(again.output()).toContain("planned 0 digest(s)");
    expect(sink.received).toHaveLength(READERS);
  }, 120_000);
});
