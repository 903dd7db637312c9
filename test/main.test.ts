// `npm start` as an operator runs it: a real process, against a test database.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/config.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/** Starts src/main.ts; resolves when it exits, or kills it after `timeoutMs` (code null: it kept running). */
function start(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/main.ts")], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "development",
      DATABASE_URL: database.url,
      APP_SECRET: "startup-test-secret-0123456789abcdefghij",
      SMTP_URL: "smtp://127.0.0.1:9",
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) => {
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe("npm start", () => {
  it("serves on its port once ready, and stops cleanly on SIGTERM", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/main.ts")], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: "development", DATABASE_URL: database.url, APP_SECRET: "startup-test-secret-0123456789abcdefghij", SMTP_URL: "smtp://127.0.0.1:9", LOG_FORMAT: "json", PORT: String(port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await expect.poll(() => err, { timeout: 30_000, interval: 200 }).toContain("listening on");
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("exits non-zero with one clear line when its port is taken (another app, or a second npm start)", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", () => resolve()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = await start({ PORT: String(port), HOST: "127.0.0.1" }, 25_000);
      expect(run.code, `kept running:\n${run.err}`).toBe(1);
      const lines = run.err.trim().split("\n");
      expect(lines.filter((l) => /already in use/.test(l))).toEqual([`Cannot start: port ${port} on 127.0.0.1 is already in use (is the app already running?). Stop the other process or set PORT.`]);
      expect(run.err).not.toContain("listening on");
      expect(run.err).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      holder.close();
    }
  }, 40_000);
});
