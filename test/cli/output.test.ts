// The CLI's results go to stdout and its log to stderr, in either log format: `npm run cli -- … > file` or a pipe
// into another tool gets the results and nothing else.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
let corpusDir: string;
beforeAll(async () => {
  database = await createTestDatabase();
  corpusDir = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-cli-output-"));
  // Two papers (title line, abstract line) and a malformed line: the run logs an info line and a warning.
  fs.writeFileSync(
    path.join(corpusDir, "page.txt"),
    "Sparse Routing for Mixture-of-Experts Language Models\nWe route tokens to experts with a learned sparse gate.\n" +
      "Curriculum Sampling for Diffusion Policies\nWe order demonstrations by difficulty when training diffusion policies.\n" +
      "A title without its abstract\n",
  );
});
afterAll(async () => {
  await database?.drop();
  fs.rmSync(corpusDir, { recursive: true, force: true });
});

function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/cli/index.ts"), ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: "test", DATABASE_URL: database.url, CORPUS_DIR: corpusDir, SOURCES: "folder", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("CLI output", () => {
  it("keeps log lines (JSON or pretty, even at debug level) off stdout", async () => {
    const json = await cli({ LOG_LEVEL: "debug", LOG_FORMAT: "json" }, "sources", "fetch", "--source", "folder");
    expect(json.code).toBe(0);
    expect(json.stdout).toMatch(/folder .*: ok — 2 added/);
    expect(json.stdout).not.toMatch(/"level"|"msg"|source folder: 2 added/);
    const logLines = json.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logLines.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/^source folder: 2 added/), expect.stringMatching(/^source folder: .*page\.txt:5: title with no abstract/)]));

    fs.writeFileSync(path.join(corpusDir, "page-2.txt"), "Token Merging for Long Video Transformers\nWe merge redundant video tokens across frames, which halves the cost of long-context video transformers.\n");
    const pretty = await cli({ LOG_LEVEL: "debug", LOG_FORMAT: "pretty" }, "sources", "fetch", "--source", "folder");
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/folder .*: ok — 1 added/);
    expect(pretty.stdout).not.toMatch(/INFO|WARN|source folder: 1 added/);
    expect(pretty.stderr).toMatch(/INFO.*source folder: 1 added/);

    // LOG_LEVEL=warn: the warning about the malformed line, and no info line.
    fs.writeFileSync(path.join(corpusDir, "page-3.txt"), "Another title without its abstract\n");
    const quiet = await cli({ LOG_LEVEL: "warn", LOG_FORMAT: "json" }, "sources", "fetch", "--source", "folder");
    expect(quiet.code).toBe(0);
    const quietLines = quiet.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(quietLines.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/page-3\.txt:1: title with no abstract/)]));
    expect(quietLines.filter((l) => l.level < 40)).toEqual([]);
  }, 60_000);
});
