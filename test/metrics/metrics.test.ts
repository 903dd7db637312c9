// Prometheus metrics, scraped over HTTP from the real app and from a real send worker process, against a test
// database and an SMTP sink that refuses some recipients.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDigestTick } from "../../jobs/daily-digest.ts";
import { loadConfig, PROJECT_ROOT } from "../../src/config.ts";
import { dayRange, readEmailsPerDay, readLastDigestRun } from "../../src/admin/queries.ts";
import { createDb } from "../../src/db/client.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { enqueueDigests, startQueue } from "../../src/digest/queue.ts";
import { sendDeps, startDigestRuntime } from "../../src/digest/runtime.ts";
import { loadEmailTemplates } from "../../src/mail/templates.ts";
import { createMailer } from "../../src/mail/transport.ts";
import { classifySendFailure } from "../../src/digest/failures.ts";
import { measureMailer, smtpErrorClass } from "../../src/metrics/mailer.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";
import { signSubscriberToken } from "../../src/subscriptions/tokens.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, BASE_URL, eventually, ingestPapers } from "../support/digest.ts";
import { captureLog } from "../support/log-capture.ts";
import { parseScrape, scrape } from "../support/metrics.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";
import { startSmtpSink } from "../support/smtp-sink.ts";

const TOKEN = "metrics-token-0123456789-abcdefghijklmnop";
const DAY = 86400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

let database: TestDatabase;
let service: TestService;
beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  await ingestPapers(
    database.db,
    Array.from({ length: 12 }, (_, i) => ({ title: `Continual Learning Without Catastrophic Forgetting, Part ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date(Date.now() - DAY),
  );
  service = await startTestService({ METRICS_TOKEN: TOKEN }, { database, metrics: true });
});
afterAll(async () => {
  await service?.close();
  await database?.drop();
});

const metricsUrl = () => `${service.baseUrl}/metrics`;

describe("GET /metrics", () => {
  it("answers only a request with the bearer token, and is absent without METRICS_TOKEN", async () => {
    const none = await fetch(metricsUrl());
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect((await fetch(metricsUrl(), { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(metricsUrl(), { headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString("base64")}` } })).status).toBe(401);
    const ok = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    expect(parseScrape(await ok.text()).value("tpd_database_up")).toBe(1);

    const plain = await startTestService({}, { metrics: true });
    try {
      expect((await fetch(`${plain.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it("times requests by route pattern and status, never by path (paths carry link tokens)", async () => {
    const token = signSubscriberToken(TEST_SECRET, "0f5e3c1a-1111-4222-8333-444455556666", "manage");
    for (const p of [`/manage/${token}`, "/papers/1", "/papers/2", "/no-such-page", "/static/site.css"]) await (await fetch(`${service.baseUrl}${p}`)).text();
    const s = await scrape(metricsUrl(), TOKEN);
    const count = (route: string, status: string) => s.value("tpd_http_request_duration_seconds_count", { method: "GET", route, status });
    expect(count("/manage/:token", "400")).toBe(1);
    expect(count("/papers/:id", "200")).toBe(2);
    expect(count("unmatched", "404")).toBe(1);
    expect(count("/static/*", "200")).toBe(1);
    expect(s.text).not.toContain(token);
    expect(s.text).not.toMatch(/route="\/papers\/1"/);
  });

  it("reads queue depth, the oldest planned digest and source freshness from the database at scrape time", async () => {
    const { db } = database;
    const now = service.clock.now;
    const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000);
    await db.sourceRun.createMany({
      data: [
        { source: "folder", startedAt: at(3700), finishedAt: at(3600), status: "ok", added: 5 },
        { source: "folder", startedAt: at(700), finishedAt: at(600), status: "ok", added: 0 },
        { source: "huggingface", startedAt: at(7300), finishedAt: at(7200), status: "ok", added: 2 },
        { source: "huggingface", startedAt: at(100), finishedAt: at(60), status: "failed", error: "HTTP 500" },
      ],
    });
    const reader = await addSubscriber(db, "queued@example.com", { topics: ["continual-learning"] });
    const other = await addSubscriber(db, "queued2@example.com", { topics: ["continual-learning"] });
    await db.digest.createMany({
      data: [
        { subscriberId: reader.id, localDate: new Date(`${isoDay(now)}T00:00:00Z`), status: "planned", plannedAt: at(300) },
        { subscriberId: other.id, localDate: new Date(`${isoDay(now)}T00:00:00Z`), status: "sending", plannedAt: at(900), claimedAt: at(5) },
      ],
    });
    try {
      const s = await scrape(metricsUrl(), TOKEN);
      expect(s.value("tpd_digest_queue_depth", { state: "planned" })).toBe(1);
      expect(s.value("tpd_digest_queue_depth", { state: "sending" })).toBe(1);
      expect(s.value("tpd_digest_oldest_planned_age_seconds")).toBe(300);
      expect(s.value("tpd_digests_recent", { status: "planned" })).toBe(1);
      expect(s.value("tpd_source_last_paper_added_age_seconds", { source: "folder" })).toBe(3600);
      expect(s.value("tpd_source_last_success_age_seconds", { source: "folder" })).toBe(600);
      expect(s.value("tpd_source_last_paper_added_age_seconds", { source: "huggingface" })).toBe(7200);
      expect(s.value("tpd_source_last_success_age_seconds", { source: "huggingface" })).toBe(7200);
      expect(s.value("tpd_source_last_success_age_seconds", { source: "arxiv" })).toBeUndefined();
      const newest = await db.paper.aggregate({ _max: { firstSeenAt: true } });
      expect(s.value("tpd_corpus_newest_paper_age_seconds")).toBe((now.getTime() - newest._max.firstSeenAt!.getTime()) / 1000);
    } finally {
      await db.digest.deleteMany();
      await db.subscriber.deleteMany();
      await db.sourceRun.deleteMany();
    }
  });

  it("leaves the database gauges out (and says so) when the database does not answer", async () => {
    const unreachable = createDb("postgresql://nobody@127.0.0.1:1/none");
    try {
      const s = parseScrape(await createMetrics({ db: unreachable, processMetrics: false }).render());
      expect(s.value("tpd_database_up")).toBe(0);
      expect(s.text).not.toContain("tpd_digest_queue_depth");
      expect(s.value("tpd_digests_sent_total")).toBe(0);
    } finally {
      await unreachable.$disconnect();
    }
  });
});

describe("digest counters", () => {
  it("move with a scheduled run and its sends, by outcome, and the database gauges show a CLI `digest run` too", async () => {
    const { db } = database;
    const metrics = service.metrics!;
    const sink = service.sink;
    const { lines, log } = captureLog("debug");
    const config = loadConfig({ NODE_ENV: "test", APP_SECRET: TEST_SECRET, PUBLIC_BASE_URL: BASE_URL, SMTP_URL: sink.url, DIGEST_RETRY_DELAY_SECONDS: "1", DIGEST_MAX_ATTEMPTS: "2", DIGEST_SEND_LEASE_SECONDS: "3" });
    const mailer = measureMailer(createMailer(config, sink.url), metrics);
    const deps = sendDeps(config, { db, mailer, emails: await loadEmailTemplates(), log, appSecret: TEST_SECRET });
    const runtime = await startDigestRuntime(config, database.url, deps, { worker: false, onOutcome: metrics.digestOutcome });
    let retryOnce = 1;
    sink.failWith = (to) => {
      if (to === "bounce@example.com") return { code: 550, message: `5.1.1 <${to}>: no such user` };
      if (to === "giveup@example.com") return { code: 451, message: "4.7.1 greylisted" };
      if (to === "retry@example.com" && retryOnce-- > 0) return { code: 421, message: "4.3.2 try again later" };
      return undefined;
    };
    try {
      for (const name of ["ok1", "ok2", "retry", "bounce", "giveup", "left"]) await addSubscriber(db, `${name}@example.com`, { topics: ["continual-learning"], sendHour: 0 });
      await addSubscriber(db, "nothing@example.com", { topics: ["diffusion"], sendHour: 0 });
      const before = await scrape(metricsUrl(), TOKEN);
      expect(before.value("tpd_digests_planned_total")).toBe(0);

      // The scheduler's tick plans; the reader who leaves before the worker starts is skipped at send time.
      await runDigestTick({ db, boss: runtime.boss, log, now: () => new Date(), metrics });
      const planned = await scrape(metricsUrl(), TOKEN);
      expect(planned.value("tpd_digests_planned_total")).toBe(6);
      expect(planned.value("tpd_digests_skipped_total", { reason: "nothing_new" })).toBe(1);
      expect(planned.value("tpd_digest_queue_depth", { state: "planned" })).toBe(6);
      await db.subscriber.update({ where: { email: "left@example.com" }, data: { status: "unsubscribed" } });
      runtime.startWorker();
      await eventually(async () => (await db.digest.count({ where: { status: { in: ["planned", "sending"] } } })) === 0, 20_000);

      const s = await scrape(metricsUrl(), TOKEN);
      expect({
        sent: s.value("tpd_digests_sent_total"),
        inactive: s.value("tpd_digests_skipped_total", { reason: "inactive" }),
        bounced: s.value("tpd_digests_bounced_total"),
        failed: s.value("tpd_digests_failed_total"),
        retries: s.value("tpd_digest_send_retries_total"),
        temporary: s.value("tpd_smtp_errors_total", { class: "temporary" }),
        recipientRejected: s.value("tpd_smtp_errors_total", { class: "recipient_rejected" }),
        connection: s.value("tpd_smtp_errors_total", { class: "connection" }),
        timedSends: s.value("tpd_email_send_duration_seconds_count", { kind: "digest" }),
        queued: s.value("tpd_digest_queue_depth", { state: "planned" }),
        oldest: s.value("tpd_digest_oldest_planned_age_seconds"),
        recentSent: s.value("tpd_digests_recent", { status: "sent" }),
        recentFailed: s.value("tpd_digests_recent", { status: "failed" }),
        recentSkipped: s.value("tpd_digests_recent", { status: "skipped" }),
      }).toEqual({ sent: 3, inactive: 1, bounced: 1, failed: 1, retries: 2, temporary: 3, recipientRejected: 1, connection: 0, timedSends: 3, queued: 0, oldest: 0, recentSent: 3, recentFailed: 2, recentSkipped: 2 });
      expect(s.value("tpd_email_send_duration_seconds_sum", { kind: "digest" })).toBeGreaterThan(0);
      // The dashboard tells the bounce from the give-up by what the send pipeline recorded.
      expect(await readEmailsPerDay(db, dayRange(new Date(), 1))).toEqual({ sent: [3], failed: [1], bounced: [1] });
      expect(await readLastDigestRun(db, new Date())).toMatchObject({ planned: 0, sending: 0, sent: 3, skipped: 2, failed: 2 });

      // Sending lines name the digest and the subscriber, never the address: a sent digest (debug), a temporary
      // failure, a bounce, a give-up, a reader who left.
      const digestOf = async (name: string) => db.digest.findFirstOrThrow({ where: { subscriber: { email: `${name}@example.com` } } });
      const ids = async (name: string) => ({ digestId: (await digestOf(name)).id, subscriberId: (await digestOf(name)).subscriberId });
      expect(lines.filter((l) => l.msg === "digest sent")).toHaveLength(3);
      const ok1 = await ids("ok1");
      const retryIds = await ids("retry");
      expect(lines.find((l) => l.msg === "digest sent" && l.subscriberId === ok1.subscriberId)).toMatchObject({ level: 20, ...ok1 });
      expect(lines.find((l) => l.msg === "recipient rejected: address suppressed")).toMatchObject(await ids("bounce"));
      expect(lines.find((l) => String(l.msg).startsWith("gave up on a digest"))).toMatchObject(await ids("giveup"));
      // Temporary failures: one warning when they start (naming the first), one debug line per failure.
      const started = lines.filter((l) => String(l.msg).startsWith("temporary send failures started"));
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({ level: 40, digestId: expect.any(String), subscriberId: expect.any(String) });
      expect([(await ids("retry")).digestId, (await ids("giveup")).digestId]).toContain(started[0]!.digestId);
      expect(lines.find((l) => l.msg === "temporary send failure; retrying" && l.digestId === ok1.digestId)).toBeUndefined();
      expect(lines.find((l) => l.msg === "temporary send failure; retrying" && l.digestId === retryIds.digestId)).toMatchObject({ level: 20, smtp: expect.stringContaining("421") });
      expect(lines.find((l) => String(l.msg).startsWith("digest skipped"))).toMatchObject(await ids("left"));
      expect(JSON.stringify(lines)).not.toMatch(/@example\.com/);
      // The same events, summed over every process in the database.
      const events = (scrape: typeof s) => Object.fromEntries(["planned", "skipped_nothing_new", "sent", "skipped_inactive", "bounced", "failed", "retried"].map((e) => [e, scrape.value("tpd_digest_events_total", { event: e })]));
      expect(events(s)).toEqual({ planned: 6, skipped_nothing_new: 1, sent: 3, skipped_inactive: 1, bounced: 1, failed: 1, retried: 2 });

      // An operator's `npm run cli -- digest run` sends from its own process (and through any running worker): the
      // process counters above belong to whoever sent; tpd_digest_events_total and the database gauges show every send.
      sink.failWith = undefined;
      const tomorrow = isoDay(new Date(Date.now() + DAY));
      const run = await runCli(["digest", "run", "--date", tomorrow], { SMTP_URL: sink.url, DATABASE_URL: database.url });
      expect(run.code, run.out).toBe(0);
      const after = await scrape(metricsUrl(), TOKEN);
      expect(after.value("tpd_digests_recent", { status: "sent" })).toBe(7);
      expect(after.value("tpd_digests_recent", { status: "skipped" })).toBe(3);
      // This process's worker still runs and may take some of the CLI's digests: its own counter is between 3 and 7.
      expect(after.value("tpd_digests_sent_total")).toBeGreaterThanOrEqual(3);
      expect(after.value("tpd_digests_sent_total")).toBeLessThanOrEqual(7);
      expect(events(after)).toEqual({ planned: 10, skipped_nothing_new: 2, sent: 7, skipped_inactive: 1, bounced: 1, failed: 1, retried: 2 });
    } finally {
      sink.failWith = undefined;
      await runtime.stop();
      mailer.close();
    }
  }, 60_000);

  it("counts transactional mail apart from digests", async () => {
    const before = (await scrape(metricsUrl(), TOKEN)).value("tpd_email_send_duration_seconds_count", { kind: "transactional" }) ?? 0;
    const res = await fetch(`${service.baseUrl}/api/subscriptions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "new-reader@example.com", topics: ["math"] }) });
    expect(res.status).toBe(202);
    await service.sink.waitFor(1, "new-reader@example.com");
    await eventually(async () => (await scrape(metricsUrl(), TOKEN)).value("tpd_email_send_duration_seconds_count", { kind: "transactional" }) === before + 1);
  });
});

describe("a send worker process", () => {
  it("serves its own metrics on a loopback port, with the token, and counts what it sent", async () => {
    const own = await createTestDatabase();
    const sink = await startSmtpSink();
    let child: ChildProcess | undefined;
    try {
      await syncTopics(own.db);
      await ingestPapers(own.db, Array.from({ length: 4 }, (_, i) => ({ title: `Catastrophic Forgetting in Continual Learning, Study ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })), new Date(Date.now() - DAY));
      for (const name of ["w1", "w2", "w3"]) await addSubscriber(own.db, `${name}@example.com`, { topics: ["continual-learning"] });
      const plannedIds: string[] = [];
      const plan = await planAllDigests(own.db, { now: new Date(), date: isoDay(new Date()), onBatch: (ids) => void plannedIds.push(...ids) });
      expect(plan.planned).toBe(3);
      const quiet = captureLog("silent").log;
      const boss = await startQueue(own.url, { retryDelaySeconds: 1, maxAttempts: 2, leaseSeconds: 30 }, (err) => quiet.error({ err }, "queue"));
      await enqueueDigests(boss, plannedIds);
      await boss.stop({ graceful: true, wait: true, close: true });

      child = spawnCli(["worker", "--metrics-port", "0"], { SMTP_URL: sink.url, DATABASE_URL: own.url, METRICS_TOKEN: TOKEN });
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (out += d));
      await eventually(() => /metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.test(out), 20_000);
      const url = `${/metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out)![1]}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      await sink.waitFor(3, undefined, 20_000);
      await eventually(async () => (await scrape(url, TOKEN)).value("tpd_digests_sent_total") === 3, 10_000);
      const s = await scrape(url, TOKEN);
      expect(s.value("tpd_email_send_duration_seconds_count", { kind: "digest" })).toBe(3);
      expect(s.value("tpd_digests_recent", { status: "sent" })).toBe(3);
      expect(s.value("process_cpu_user_seconds_total")).toBeGreaterThan(0);
      expect(s.value("nodejs_heap_size_used_bytes")).toBeGreaterThan(0);

      const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      child = undefined;
    } finally {
      child?.kill("SIGKILL");
      await sink.stop();
      await own.drop();
    }
  }, 60_000);
});

describe("SMTP error classes", () => {
  it("tells a rejected recipient from a refused sender, a login failure, a 4xx, a timeout and a lost connection", () => {
    expect(smtpErrorClass({ responseCode: 550, command: "RCPT TO" })).toBe("recipient_rejected");
    expect(smtpErrorClass({ responseCode: 554, command: "DATA" })).toBe("rejected");
    expect(smtpErrorClass({ responseCode: 553, command: "MAIL FROM" })).toBe("rejected");
    expect(smtpErrorClass({ code: "EAUTH", responseCode: 535, command: "AUTH PLAIN" })).toBe("auth");
    expect(smtpErrorClass({ responseCode: 421, command: "RCPT TO" })).toBe("temporary");
    expect(smtpErrorClass({ code: "ETIMEDOUT", message: "Greeting never received" })).toBe("timeout");
    expect(smtpErrorClass({ code: "ECONNECTION", message: "Connection closed unexpectedly" })).toBe("connection");
    expect(smtpErrorClass({ code: "ESOCKET", message: "connect ECONNREFUSED 127.0.0.1:25" })).toBe("connection");
    expect(smtpErrorClass(new Error("something else"))).toBe("other");
  });

  it("counts a failure in the class the send path acted on (a server failure is never counted as our own error)", () => {
    const failures = [
      { code: "EPROTOCOL", message: "Invalid greeting" },
      { code: "EDNS", originalCode: "ENOTFOUND", message: "getaddrinfo ENOTFOUND smtp.example.com" },
      { message: "Connection closed unexpectedly" },
      { code: "EENVELOPE", message: "No recipients defined" },
      { responseCode: 452, command: "RCPT TO", message: "Mailbox full" },
    ];
    for (const err of failures) {
      const failure = classifySendFailure(err);
      const counted = smtpErrorClass(err);
      if (failure.scope === "server") expect(["temporary", "timeout", "connection"]).toContain(counted);
      else expect(["recipient_rejected", "rejected", "other", "temporary"]).toContain(counted);
    }
    expect(failures.map(smtpErrorClass)).toEqual(["connection", "connection", "connection", "other", "temporary"]);
  });
});

function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "src/cli/index.ts"), ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: "test", APP_SECRET: TEST_SECRET, PUBLIC_BASE_URL: BASE_URL, LOG_LEVEL: "error", DIGEST_RETRY_DELAY_SECONDS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawnCli(args, env);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}
