// `stats` shows the digests waiting for a retry, so an operator sees temporary failures without reading logs.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, ingestPapers, RECENTLY } from "../support/digest.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  await ingestPapers(database.db, [{ title: "Continual Learning Statistics", abstract: abstractAbout("continual learning") }], RECENTLY);
});
afterAll(async () => {
  await database?.drop();
});

describe("stats", () => {
  it("shows retries waiting next to digests by state", async () => {
    const { db } = database;
    for (const name of ["a", "b", "c"]) await addSubscriber(db, `${name}@example.com`, { topics: ["continual-learning"] });
    await planAllDigests(db, { now: new Date(), date: new Date().toISOString().slice(0, 10) });
    const [first, second] = await db.digest.findMany({ orderBy: { id: "asc" } });
    // Two digests were tried and refused for now: one by its reader's mailbox, one by a server that refused everything.
    await db.digest.update({ where: { id: first!.id }, data: { attempts: 2, recipientRefusals: 2, lastError: "450 mailbox busy", retryAt: new Date(Date.now() + 600_000) } });
    await db.digest.update({ where: { id: second!.id }, data: { attempts: 1, lastError: "421 try again later", retryAt: new Date(Date.now() + 30_000) } });

    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/cli/index.ts"), "stats"], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: "test", DATABASE_URL: database.url, LOG_FORMAT: "json" },
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Retries waiting: 2 digest\(s\) \(1 refused by the reader's mailbox, 1 after failures of the mail server\); next in \d+ s/);
    expect(result.stdout).toMatch(/3 planned/);
  }, 60_000);
});
