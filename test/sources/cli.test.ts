// The operator's commands, run as a real process against the fixture server and a test database.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { type FixtureServer, startFixtureServer } from "../support/fixture-server.ts";
import { readFixture } from "../support/upstream.ts";

let database: TestDatabase;
let upstream: FixtureServer;
beforeAll(async () => {
  database = await createTestDatabase();
  upstream = await startFixtureServer((req) => {
    if (req.path === "/api/daily_papers") return { body: req.query.get("date") === "2026-11-24" ? readFixture("hf-daily-papers.json") : "[]" };
    if (req.path === "/api/query") return { status: 500 };
    return { status: 404 };
  });
});
afterAll(async () => {
  await upstream?.close();
  await database?.drop();
});

function cli(...args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/cli/index.ts"), ...args], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      DATABASE_URL: database.url,
      LOG_LEVEL: "error",
      SOURCES: "folder,huggingface",
      SOURCES_CONTACT: "ops@digest.example.org",
      HF_API_BASE_URL: upstream.url,
      ARXIV_API_BASE_URL: upstream.url,
      ARXIV_REQUEST_INTERVAL_SECONDS: "0",
      SOURCES_RETRIES: "1",
      SOURCES_RETRY_BASE_SECONDS: "0.01",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

describe("npm run cli -- sources", () => {
  it("fetches a day by hand with progress, lists the runs, and shows them in stats", async () => {
    const fetched = await cli("sources", "fetch", "--source", "huggingface", "--date", "2026-11-24");
    expect(fetched.code).toBe(0);
    expect(fetched.out).toContain("huggingface: 1/1 2026-11-24");
    expect(fetched.out).toContain("huggingface (daily papers 2026-11-24): ok — 3 added, 0 updated, 0 unchanged, 3 signals, 0 warning(s)");

    const failed = await cli("sources", "fetch", "--source", "arxiv");
    expect(failed.code).toBe(1);
    expect(failed.out).toContain("(arxiv is not in SOURCES, so it is not scheduled; fetching it once because you asked)");
    expect(failed.out).toMatch(/arxiv \(cs\.LG, cs\.CL, cs\.CV, cs\.AI, newest\): FAILED — http:\/\/127\.0\.0\.1:\d+\/api\/query\?search_query=.* HTTP 500 \(gave up after 2 attempts\)/);

    const listed = await cli("sources");
    expect(listed.code).toBe(0);
    expect(listed.out).toContain("Sources (SOURCES=folder,huggingface; User-Agent: TrendingPapersDigest/0.1 (+http://localhost:3000; mailto:ops@digest.example.org))");
    expect(listed.out).toMatch(/^ {2}arxiv {8}off {2}/m);
    expect(listed.out).toMatch(/huggingface +ok +[\d.]+ s {2}3 added, 0 updated, 3 signals, 0 warnings {2}daily papers 2026-11-24/);
    expect(listed.out).toMatch(/arxiv +failed .*\n {6}error: http:\/\/127\.0\.0\.1:\d+\/api\/query/);

    const stats = await cli("stats");
    expect(stats.code).toBe(0);
    expect(stats.out).toContain("Papers: 3 (3 with upvote signals)");
    expect(stats.out).toMatch(/huggingface +on +\d{4}-\d\d-\d\d \d\d:\d\d UTC ok, 3 added, 0 updated, 3 signals; last success \d{4}/);
    expect(stats.out).toMatch(/arxiv +off {2}.* UTC failed: .*HTTP 500.*; last success never/);
    expect(stats.out).toMatch(/folder +on +never run/);
  }, 60_000);

  it("refuses an unknown source or a malformed date with a clear message", async () => {
    const source = await cli("sources", "fetch", "--source", "twitter");
    expect([source.code, source.out.trim()]).toEqual([2, 'sources fetch: --source must be one of folder, huggingface, arxiv, got "twitter"']);
    const date = await cli("sources", "fetch", "--date", "24/11/2026");
    expect([date.code, date.out.trim()]).toEqual([2, 'sources fetch: --date must be a date like 2026-11-24, got "24/11/2026"']);
  }, 30_000);
});
