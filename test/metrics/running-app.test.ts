// The issue's check, as an operator does it: `npm start`'s process running (src/launch.js main, its own process), an
// operator's `npm run cli -- digest run` in another process, then a scrape of the app's /metrics with the token.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, eventually, ingestPapers } from "../support/digest.ts";
import { scrape } from "../support/metrics.ts";
import { TEST_SECRET } from "../support/service.ts";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink.ts";

const TOKEN = "running-app-metrics-token-0123456789abcdef";
const DAY = 86400_000;

let database: TestDatabase;
let sink: SmtpSink;
let app: ChildProcess | undefined;
let appLog = "";
let corpusDir: string;
let base: string;

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: "test",
    APP_SECRET: TEST_SECRET,
    DATABASE_URL: database.url,
    SMTP_URL: sink.url,
    SOURCES: "folder",
    CORPUS_DIR: corpusDir,
    METRICS_TOKEN: TOKEN,
    DIGEST_RETRY_DELAY_SECONDS: "1",
    LOG_FORMAT: "json",
    ...extra,
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  await ingestPapers(
    database.db,
    Array.from({ length: 6 }, (_, i) => ({ title: `Replay Buffers Against Catastrophic Forgetting, Study ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date(Date.now() - DAY),
  );
  sink = await startSmtpSink();
  corpusDir = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-running-app-"));
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  base = `http://127.0.0.1:${port}`;
  // The scheduler stays quiet (once a year): every digest in this test comes from the operator's CLI run.
  app = spawn(process.execPath, ["src/launch.js", "main"], {
    cwd: PROJECT_ROOT,
    env: env({ PORT: String(port), HOST: "127.0.0.1", PUBLIC_BASE_URL: base, LOG_LEVEL: "info", DIGEST_CRON: "0 0 1 1 *" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  app.stdout!.on("data", (d) => (appLog += d));
  app.stderr!.on("data", (d) => (appLog += d));
  await eventually(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 60_000);
}, 90_000);

afterAll(async () => {
  app?.kill("SIGKILL");
  await sink?.stop();
  await database?.drop();
  if (corpusDir) fs.rmSync(corpusDir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["src/launch.js", "cli", ...args], { cwd: PROJECT_ROOT, env: env({ PUBLIC_BASE_URL: base, LOG_LEVEL: "warn" }), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

describe("a running app's /metrics", () => {
  it("serves every metric family the operator needs, only with the token", async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const s = await scrape(`${base}/metrics`, TOKEN);
    const families = [...s.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families).toEqual(
      expect.arrayContaining([
        "tpd_http_request_duration_seconds histogram",
        "tpd_digests_planned_total counter",
        "tpd_digests_sent_total counter",
        "tpd_digests_skipped_total counter",
        "tpd_digests_failed_total counter",
        "tpd_digests_bounced_total counter",
        "tpd_digest_events_total counter",
        "tpd_email_send_duration_seconds histogram",
        "tpd_digest_queue_depth gauge",
        "tpd_digest_oldest_planned_age_seconds gauge",
        "tpd_smtp_errors_total counter",
        "tpd_corpus_newest_paper_age_seconds gauge",
        "tpd_source_last_success_age_seconds gauge",
        "tpd_database_up gauge",
        "process_cpu_user_seconds_total counter",
        "process_resident_memory_bytes gauge",
        "nodejs_eventloop_lag_seconds gauge",
      ]),
    );
    expect(s.value("tpd_database_up")).toBe(1);
    expect(s.value("tpd_http_request_duration_seconds_count", { method: "GET", route: "/readyz", status: "200" })).toBeGreaterThanOrEqual(1);
    expect(s.value("tpd_source_last_success_age_seconds", { source: "folder" })).toBeGreaterThanOrEqual(0);
    expect(s.value("tpd_corpus_newest_paper_age_seconds")).toBeGreaterThan(DAY / 1000 - 600);
    expect(s.value("process_cpu_user_seconds_total")).toBeGreaterThan(0);
  });

  it("shows the counters moving after an operator's `npm run cli -- digest run` in another process", async () => {
    for (const name of ["reader1", "reader2", "reader3"]) await addSubscriber(database.db, `${name}@example.com`, { topics: ["continual-learning"] });
    await addSubscriber(database.db, "gone@example.com", { topics: ["continual-learning"] });
    await addSubscriber(database.db, "other-field@example.com", { topics: ["diffusion"] });
    sink.failWith = (to) => (to === "gone@example.com" ? { code: 550, message: `5.1.1 <${to}>: no such user` } : undefined);
    const url = `${base}/metrics`;
    const before = await scrape(url, TOKEN);
    for (const event of ["planned", "sent", "bounced", "skipped_nothing_new"]) expect(before.value("tpd_digest_events_total", { event }), event).toBe(0);

    // The CLI plans and sends from its own process; the app's worker may take some of the queued digests too.
    const run = await runCli(["digest", "run", "--date", new Date().toISOString().slice(0, 10)]);
    // Exit status 1: a digest failed (the bounce); the other three went out.
    expect(run.code, run.out).toBe(1);
    expect(run.out).toMatch(/done: .*3 sent/);
    expect(run.out).toContain("planned 4 digest(s); 1 subscriber(s) had no new matching paper");
    expect(sink.received.map((m) => m.to).sort()).toEqual(["reader1@example.com", "reader2@example.com", "reader3@example.com"]);

    const after = await scrape(url, TOKEN);
    expect({
      planned: after.value("tpd_digest_events_total", { event: "planned" }),
      nothingNew: after.value("tpd_digest_events_total", { event: "skipped_nothing_new" }),
      sent: after.value("tpd_digest_events_total", { event: "sent" }),
      bounced: after.value("tpd_digest_events_total", { event: "bounced" }),
      failed: after.value("tpd_digest_events_total", { event: "failed" }),
      recentSent: after.value("tpd_digests_recent", { status: "sent" }),
      queued: after.value("tpd_digest_queue_depth", { state: "planned" }),
    }).toEqual({ planned: 4, nothingNew: 1, sent: 3, bounced: 1, failed: 0, recentSent: 3, queued: 0 });
    // The app's own counters count only what its worker sent (between none and all of them).
    const appSent = after.value("tpd_digests_sent_total")!;
    expect(appSent).toBeGreaterThanOrEqual(0);
    expect(appSent).toBeLessThanOrEqual(3);
    expect(after.value("tpd_email_send_duration_seconds_count", { kind: "digest" }) ?? 0).toBe(appSent);

    // A second run sends nothing again, and the totals say so.
    const again = await runCli(["digest", "run", "--date", new Date().toISOString().slice(0, 10)]);
    expect(again.code, again.out).toBe(0);
    expect((await scrape(url, TOKEN)).value("tpd_digest_events_total", { event: "sent" })).toBe(3);
    expect(sink.received).toHaveLength(3);
  }, 90_000);

  it("stops on SIGTERM with status 0", async () => {
    const exited = new Promise<number | null>((resolve) => app!.on("exit", (code) => resolve(code)));
    app!.kill("SIGTERM");
    expect(await exited).toBe(0);
    app = undefined;
    expect(appLog).toContain('"msg":"SIGTERM: stopping"');
  }, 30_000);
});
