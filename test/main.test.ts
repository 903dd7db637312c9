// `npm start`'s process (src/main.ts) as an orchestrator sees it: alive at once, ready only after its migrations,
// and a SIGTERM that lets the email in flight finish before the database pool closes.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, inject, it } from "vitest";
import { PROJECT_ROOT } from "../src/config.ts";
import { dropDatabase, ensureDatabase } from "../src/db/database.ts";
import { withDatabase } from "../src/db/embedded.ts";
import { ADVISORY_LOCK_KEY } from "../src/db/migrate.ts";
import { syncTopics } from "../src/topics/topics.ts";
import { createTestDatabase } from "./support/database.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers } from "./support/digest.ts";
import { TEST_SECRET } from "./support/service.ts";
import { startSmtpSink, type SmtpSink } from "./support/smtp-sink.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function startMain(databaseUrl: string, sink: SmtpSink) {
  const port = await freePort();
  const corpusDir = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-main-"));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/main.ts")], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      APP_SECRET: TEST_SECRET,
      SMTP_URL: sink.url,
      SOURCES: "folder",
      CORPUS_DIR: corpusDir,
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  cleanups.push(async () => {
    child.kill("SIGKILL");
    fs.rmSync(corpusDir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  const get = async (p: string) => {
    const res = await fetch(`${base}${p}`);
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  return { child, exited, get, log: () => log };
}

describe("npm start", () => {
  it("answers /healthz at once, /readyz 503 while its migrations wait and run, then ready; SIGTERM stops it cleanly", async () => {
    // An empty database, and another deployer holding the migration lock: this process must wait in "migrating".
    const serverUrl = inject("pgServerUrl");
    const name = `tpd_main_${randomBytes(4).toString("hex")}`;
    await ensureDatabase(serverUrl, name);
    const url = withDatabase(serverUrl, name);
    cleanups.push(() => dropDatabase(serverUrl, name));
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query("SELECT pg_advisory_lock($1)", [ADVISORY_LOCK_KEY]);
    const sink = await startSmtpSink();
    cleanups.push(() => sink.stop());

    const app = await startMain(url, sink);
    await eventually(async () => (await app.get("/healthz").catch(() => ({ status: 0 }))).status === 200, 30_000);
    await eventually(async () => JSON.parse((await app.get("/readyz")).text).status === "migrating", 10_000);
    const ready = await app.get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.headers.get("retry-after")).toBe("5");
    const page = await app.get("/");
    expect([page.status, page.headers.get("retry-after")]).toEqual([503, "5"]);

    await holder.query("SELECT pg_advisory_unlock($1)", [ADVISORY_LOCK_KEY]);
    await eventually(async () => (await app.get("/readyz")).status === 200, 30_000);
    expect(JSON.parse((await app.get("/readyz")).text)).toEqual({ status: "ready", database: "ok" });
    expect((await app.get("/")).status).toBe(200);
    expect(app.log()).toMatch(/"msg":"applied migrations: /);

    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.log()).toContain('"msg":"SIGTERM: stopping"');
  }, 90_000);

  it("on SIGTERM finishes the email in flight and records it before closing the database pool", async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    await syncTopics(database.db);
    await ingestPapers(database.db, Array.from({ length: 3 }, (_, i) => ({ title: `Rehearsal Buffers Against Catastrophic Forgetting ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })), new Date(Date.now() - 86400_000));
    await addSubscriber(database.db, "in-flight@example.com", { topics: ["continual-learning"], sendHour: 0 });
    const sink = await startSmtpSink();
    cleanups.push(() => sink.stop());
    sink.delayMs = 8000; // the SMTP server takes its time accepting the message

    // The start-up tick plans the due digest and the worker starts sending it.
    const app = await startMain(database.url, sink);
    await eventually(async () => (await app.get("/readyz").catch(() => ({ status: 0 }))).status === 200, 30_000);
    await eventually(async () => (await database.db.digest.findFirst())?.status === "sending", 10_000);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(sink.to("in-flight@example.com")).toHaveLength(1);
    expect(await database.db.digest.findFirstOrThrow()).toMatchObject({ status: "sent" });
  }, 90_000);
});

describe("npm start on a taken port", () => {
  /** Starts src/main.ts; resolves when it exits, or kills it after `timeoutMs` (code null: it kept running). */
  function start(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; err: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/main.ts")], {
      cwd: PROJECT_ROOT,
      // The port is checked before the database is opened: this address is never reached.
      env: { PATH: process.env.PATH, NODE_ENV: "development", DATABASE_URL: "postgresql://127.0.0.1:9/none", APP_SECRET: TEST_SECRET, SMTP_URL: "smtp://127.0.0.1:9", LOG_FORMAT: "json", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stdout!.on("data", (d) => (err += d));
    child.stderr!.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    return new Promise((resolve) => {
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, err });
      });
    });
  }

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
