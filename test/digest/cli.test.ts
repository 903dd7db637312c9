// `npm run cli -- digest preview | run` as an operator runs them: real processes against a test database, with the
// app serving the same database so the links they print can be opened.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, ingestPapers } from "../support/digest.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";

let database: TestDatabase;
let service: TestService;
beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  service = await startTestService({}, { database });
  await ingestPapers(
    database.db,
    Array.from({ length: 4 }, (_, i) => ({ title: `Continual Learning Without Forgetting, Part ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date(Date.now() - 24 * 3600_000),
  );
});
afterAll(async () => {
  await service?.close();
  await database?.drop();
});

function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/cli/index.ts"), ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: "test", DATABASE_URL: database.url, APP_SECRET: TEST_SECRET, PUBLIC_BASE_URL: service.baseUrl, SMTP_URL: service.sink.url, LOG_LEVEL: "error" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out, err })));
}

describe("digest preview", () => {
  it("tells an unknown address from a reader with nothing new", async () => {
    const none = await cli("digest", "preview", "--email", "nobody@example.com");
    expect([none.code, none.err.trim()]).toEqual([1, "digest preview: there is no subscriber nobody@example.com"]);
    await addSubscriber(database.db, "nothing@example.com", { keywords: ["protein folding"] });
    const nothing = await cli("digest", "preview", "--email", "nothing@example.com");
    expect([nothing.code, nothing.err.trim()]).toEqual([1, "digest preview: nothing@example.com has no new matching paper for that day (their digest would be recorded as skipped)"]);
  }, 60_000);

  it("prints a 'View in browser' link that opens the digest once it is planned, and none before", async () => {
    const reader = await addSubscriber(database.db, "preview@example.com", { topics: ["continual-learning"] });
    const unplanned = await cli("digest", "preview", "--email", "preview@example.com");
    expect(unplanned.code).toBe(0);
    expect(unplanned.out).toContain("Continual Learning Without Forgetting");
    expect(unplanned.out).not.toContain("View in browser");
    expect(unplanned.err).toContain("not planned yet");

    const today = new Date().toISOString().slice(0, 10);
    await planAllDigests(database.db, { now: new Date(), date: today });
    const planned = await cli("digest", "preview", "--email", "preview@example.com", "--date", today);
    expect(planned.code).toBe(0);
    const url = /View in browser: (\S+)/.exec(planned.out)![1]!;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Continual Learning Without Forgetting");
    await database.db.digest.deleteMany({ where: { subscriberId: reader.id } });
  }, 60_000);
});

describe("digest run", () => {
  it("reports progress whose 'sent' count agrees with the digests done, then the same total", async () => {
    await addSubscriber(database.db, "run-a@example.com", { topics: ["continual-learning"] });
    await addSubscriber(database.db, "run-b@example.com", { topics: ["continual-learning"] });
    const run = await cli("digest", "run");
    expect(run.code, run.err).toBe(0);
    const progress = [...run.out.matchAll(/^sending: (\d+)\/(\d+) (.*)$/gm)];
    expect(progress.length).toBeGreaterThan(0);
    for (const [line, done, , label] of progress) {
      const match = /(\d+) sent|sent (\d+)/.exec(label!);
      const sent = Number(match?.[1] ?? match?.[2] ?? -1);
      const skipped = Number(/(\d+) skipped/.exec(label!)?.[1] ?? 0);
      const failed = Number(/(\d+) failed/.exec(label!)?.[1] ?? 0);
      expect(sent + skipped + failed, line).toBe(Number(done));
    }
    const sentTotal = Number(/^done: .*?(\d+) sent/m.exec(run.out)![1]);
    expect(progress.at(-1)![0]).toContain(`${sentTotal} sent`);
  }, 90_000);
});
