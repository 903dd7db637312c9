// `npm run bench`: one day's digests for N subscribers, end to end (plan, render, queue, send) into an SMTP sink in a
// separate process, next to the raw Nodemailer ceiling measured in the same run. Options:
//   --subscribers N   (default 100000)      --workers 1,2   (runs with 1 and with 2 app processes)
//   --faults          (also the fault runs: 421 to 20%, sink killed and restarted, app SIGKILLed and restarted)
//   --fault-subscribers N (default 5000)    --out FILE      (JSON; default bench/results/<date>-<commit>.json)
//   --node-flags "..." (Node flags of the app processes; default --max-old-space-size=256)
import { type ChildProcess, execSync, fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { PROJECT_ROOT } from "../src/config.ts";
import { ingestPath } from "../src/corpus/ingest.ts";
import { createDb } from "../src/db/client.ts";
import { dropDatabase, ensureDatabase, MIGRATIONS_DIR, SCHEMA_PATH } from "../src/db/database.ts";
import { startEmbeddedPostgres, withDatabase } from "../src/db/embedded.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import { renderDigest } from "../src/digest/render.ts";
import { digestPageUrl } from "../src/digest/send.ts";
import { subscriberLinks } from "../src/subscriptions/links.ts";
import { loadEmailTemplates } from "../src/mail/templates.ts";
import { syncTopics } from "../src/topics/topics.ts";
import { createSubscribers } from "./subscribers.ts";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "100000" },
    workers: { type: "string", default: "1,2" },
    faults: { type: "boolean", default: false },
    "fault-subscribers": { type: "string", default: "5000" },
    out: { type: "string" },
    // V8 grows its heap lazily under a high allocation rate (the live set while sending is ~70 MB, the heap grows
    // past 200 MB); a cap keeps the process small. Pass --node-flags "" to measure without it.
    "node-flags": { type: "string", default: "--max-old-space-size=256" },
  },
});
const NODE_FLAGS = values["node-flags"]!.split(" ").filter(Boolean);
const N = Number(values.subscribers);
const DATE = "2026-11-24";
const POOL = 10;
const CONCURRENCY = 100;
const SHARED_CORPUS = path.resolve(PROJECT_ROOT, "..", "shared", "corpus");
const tsx = ["--import", "tsx"];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-bench-"));
const secret = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";

// --- database -------------------------------------------------------------------------------------------------
const server = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, stop: async () => {} } : await startEmbeddedPostgres({ port: 56000 + (process.pid % 4000), persistent: false });
const dbName = `tpd_bench_${Date.now()}`;
await ensureDatabase(server.url, dbName);
const dbUrl = withDatabase(server.url, dbName);
await applyMigrations({ connectionString: dbUrl, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
const db = createDb(dbUrl);
await syncTopics(db);
const corpus = fs.existsSync(SHARED_CORPUS) ? SHARED_CORPUS : path.join(PROJECT_ROOT, "corpus");
if (corpus !== SHARED_CORPUS) console.warn(`shared corpus not found at ${SHARED_CORPUS}: using the sample corpus in corpus/`);
const ingest = await ingestPath(db, corpus);
console.log(`database ${dbName}: ${ingest.papers} papers from ${path.relative(process.cwd(), corpus)}`);

// --- helpers --------------------------------------------------------------------------------------------------
const freePort = () => 57000 + Math.floor(Math.random() * 3000);
const sinkLog = () => path.join(scratch, `sink-${Date.now()}.log`);

function startSink(port: number, log: string, failRate = 0): Promise<ChildProcess> {
  const child = fork(path.join(PROJECT_ROOT, "bench/smtp-sink.ts"), ["--port", String(port), "--log", log, "--fail-rate", String(failRate)], { execArgv: tsx });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`sink exited ${code}`)));
  });
}

function deliveries(log: string) {
  const counts = new Map<string, number>();
  if (fs.existsSync(log)) for (const to of fs.readFileSync(log, "utf8").split("\n")) if (to) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

function startApp(smtpUrl: string, plan: boolean, env: Record<string, string> = {}) {
  const messages: Record<string, number>[] = [];
  const child = fork(path.join(PROJECT_ROOT, "bench/app.ts"), plan ? ["--plan", "--date", DATE] : ["--date", DATE], {
    // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each app process there (open in Chrome DevTools).
    execArgv: [...tsx, ...(process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []), ...NODE_FLAGS],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      DATABASE_URL: dbUrl,
      SMTP_URL: smtpUrl,
      APP_SECRET: secret,
      PUBLIC_BASE_URL: "https://digest.example.com",
      SMTP_POOL_SIZE: String(POOL),
      DIGEST_WORKER_CONCURRENCY: String(CONCURRENCY),
      DIGEST_RETRY_DELAY_SECONDS: "1",
      DIGEST_SEND_LEASE_SECONDS: "5",
      LOG_LEVEL: "error",
      ...env,
    },
  });
  child.on("message", (m) => messages.push(m as Record<string, number>));
  const message = (key: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const check = () => {
        const found = messages.find((m) => key in m);
        if (found) resolve(found);
        else setTimeout(check, 50);
      };
      check();
    });
  const stop = async () => {
    child.kill("SIGTERM");
    return message("done");
  };
  const send = async () => {
    await message("ready");
    child.send({ send: true });
  };
  return { child, message, stop, send };
}

async function finishedDigests() {
  const rows = await db.$queryRaw<{ done: bigint; open: bigint }[]>`
    SELECT count(*) FILTER (WHERE status IN ('sent', 'failed')) AS done, count(*) FILTER (WHERE status IN ('planned', 'sending')) AS open FROM digests`;
  return { done: Number(rows[0]!.done), open: Number(rows[0]!.open) };
}

async function waitUntilSent(total: number, label: string, onProgress?: (done: number) => Promise<void> | void) {
  const bar = process.stdout.isTTY ? new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} {rate}/s`, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(total, 0, { rate: 0 });
  const started = performance.now();
  let lastLog = 0;
  for (;;) {
    const { done, open } = await finishedDigests();
    const rate = Math.round(done / ((performance.now() - started) / 1000));
    bar?.update(done, { rate });
    if (!bar && performance.now() - lastLog > 5000) {
      console.log(`${label}: ${done}/${total} (${rate}/s)`);
      lastLog = performance.now();
    }
    await onProgress?.(done);
    if (done >= total && open === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  bar?.stop();
}

async function resetDay() {
  await db.digest.deleteMany();
  await db.$executeRawUnsafe(`DELETE FROM pgboss.job WHERE name = 'digest-send'`).catch(() => {});
}

/** Full per-recipient render (links signed, data prepared, template filled) over planned digests, after one compile. */
async function measureRender(sample: number) {
  let t0 = performance.now();
  const templates = await loadEmailTemplates(undefined, { cache: false }); // the real MJML compile, not the cache
  const compileMs = performance.now() - t0;
  const digests = await db.digest.findMany({
    where: { status: "planned" },
    take: sample,
    include: { subscriber: true, items: { orderBy: { position: "asc" }, include: { paper: true } } },
  });
  const links = { publicBaseUrl: "https://digest.example.com", appSecret: secret };
  t0 = performance.now();
  for (const d of digests) {
    renderDigest(
      templates,
      { localDate: d.localDate, email: d.subscriber.email, confirmedAt: d.subscriber.confirmedAt, papers: d.items.map((i) => ({ ...i.paper, matchedTopics: i.matchedTopics, matchedKeywords: i.matchedKeywords })) },
      { baseUrl: links.publicBaseUrl, viewInBrowserUrl: digestPageUrl(links, d.id), ...subscriberLinks(links, d.subscriber.id), postalAddress: "1 Example Street" },
    );
  }
  const perRecipientMs = (performance.now() - t0) / digests.length;
  return { compileMs, perRecipientMs, rendersPerSecondPerCore: 1000 / perRecipientMs, sample: digests.length };
}

/** A real rendered digest of five papers, written to files for the ceiling run; returns its size. */
async function typicalDigest() {
  const templates = await loadEmailTemplates();
  const papers = await db.paper.findMany({ take: 5, orderBy: { rank: "asc" } });
  const r = renderDigest(
    templates,
    { localDate: new Date(DATE), email: "size@example.com", confirmedAt: new Date(), papers: papers.map((p) => ({ ...p, matchedTopics: ["reasoning"], matchedKeywords: [] })) },
    { baseUrl: "https://digest.example.com", viewInBrowserUrl: "https://digest.example.com/digests/x", manageUrl: "https://digest.example.com/manage/x", unsubscribeUrl: "https://digest.example.com/unsubscribe/x", postalAddress: "x" },
  );
  fs.writeFileSync(path.join(scratch, "digest.html"), r.html);
  fs.writeFileSync(path.join(scratch, "digest.txt"), r.text);
  return r.html.length + r.text.length;
}

// --- the runs -------------------------------------------------------------------------------------------------
console.log(`creating ${N} confirmed subscribers...`);
let t = performance.now();
await createSubscribers(db, N);
console.log(`  ${((performance.now() - t) / 1000).toFixed(1)} s`);
const size = await typicalDigest();

const runs: Record<string, unknown>[] = [];
// --workers none: only the fault runs.
for (const workers of values.workers!.split(",").map(Number).filter((n) => n > 0)) {
  await resetDay();
  const port = freePort();
  const log = sinkLog();
  const sink = await startSink(port, log);
  const smtpUrl = `smtp://127.0.0.1:${port}`;

  // Raw ceiling, same sink, same message size, nothing else running.
  const ceilingCount = Math.min(N, 20000);
  const ceiling = JSON.parse(
    execSync(
      `node --import tsx ${NODE_FLAGS.join(" ")} bench/ceiling.ts --url ${smtpUrl} --count ${ceilingCount} --pool ${POOL} --concurrency ${CONCURRENCY} --html ${path.join(scratch, "digest.html")} --text ${path.join(scratch, "digest.txt")}`,
      { cwd: PROJECT_ROOT, encoding: "utf8" },
    ),
  ) as { perSecond: number };
  fs.writeFileSync(log, ""); // the ceiling's messages are not digests

  console.log(`\nrun with ${workers} app process(es): ceiling ${ceiling.perSecond.toFixed(0)} msg/s (${ceilingCount} messages of ${(size / 1024).toFixed(1)} KiB)`);
  t = performance.now();
  const apps = [startApp(smtpUrl, true), ...Array.from({ length: workers - 1 }, () => startApp(smtpUrl, false))];
  const plan = await apps[0]!.message("planMs");
  console.log(`planned ${plan.planned} digests in ${(plan.planMs! / 1000).toFixed(1)} s (${plan.skipped} with nothing new)`);
  // Render throughput on its own (one core, this process), on the digests just planned.
  const render = await measureRender(5000);
  console.log(`render: MJML compile ${render.compileMs.toFixed(0)} ms once, then ${render.perRecipientMs.toFixed(3)} ms per recipient (${render.rendersPerSecondPerCore.toFixed(0)} digests/s per core)`);
  const sendStarted = performance.now();
  await Promise.all(apps.map((a) => a.send()));
  await waitUntilSent(plan.planned!, `sending (${workers} process${workers > 1 ? "es" : ""})`);
  const sendSeconds = (performance.now() - sendStarted) / 1000;
  const wallSeconds = (performance.now() - t) / 1000;
  const reports = await Promise.all(apps.map((a) => a.stop()));
  console.log(`memory (MB): after planning ${plan.rssAfterPlanMb!.toFixed(0)}; peaks ${JSON.stringify(reports.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith("peak_")))))}`);
  sink.kill("SIGTERM");
  const counts = deliveries(log);
  const delivered = [...counts.values()].reduce((a, b) => a + b, 0);
  const fills = reports.reduce((a, r) => a + r.fills!, 0);
  const fillMs = reports.reduce((a, r) => a + r.fillMs!, 0);
  runs.push({
    workers,
    subscribers: N,
    planned: plan.planned,
    planSeconds: plan.planMs! / 1000,
    // Sending starts after planning (queue, render, send, record), so the two are measured apart.
    sendSeconds,
    wallSeconds,
    throughputPerSecond: delivered / sendSeconds,
    ceilingPerSecond: ceiling.perSecond,
    ratioToCeiling: delivered / sendSeconds / ceiling.perSecond,
    mjmlCompileMs: render.compileMs,
    renderMsPerRecipient: render.perRecipientMs,
    rendersPerSecondPerCore: render.rendersPerSecondPerCore,
    // The template fill alone, as measured inside the app processes while they sent.
    fillMsPerRecipientInApp: fillMs / fills,
    peakRssMb: Math.max(...reports.map((r) => r.maxRssMb!)),
    delivered,
    distinctRecipients: counts.size,
    duplicates: delivered - counts.size,
    missing: plan.planned! - counts.size,
  });
}

// --- fault runs -----------------------------------------------------------------------------------------------
const faults: Record<string, unknown>[] = [];
if (values.faults) {
  const FN = Number(values["fault-subscribers"]);
  await db.subscriber.deleteMany();
  await createSubscribers(db, FN);
  for (const fault of ["smtp-421-20pct", "sink-killed-and-restarted", "app-sigkill-and-restart"] as const) {
    await resetDay();
    const port = freePort();
    const log = sinkLog();
    let sink = await startSink(port, log, fault === "smtp-421-20pct" ? 0.2 : 0);
    const smtpUrl = `smtp://127.0.0.1:${port}`;
    let app = startApp(smtpUrl, true);
    const plan = await app.message("planMs");
    await app.send();
    let injected = false;
    let inFlightAtKill = 0;
    await waitUntilSent(plan.planned!, fault, async (done) => {
      if (injected || done < plan.planned! * 0.3) return;
      injected = true;
      if (fault === "sink-killed-and-restarted") {
        sink.kill("SIGKILL");
        await new Promise((r) => setTimeout(r, 2000));
        sink = await startSink(port, log);
      } else if (fault === "app-sigkill-and-restart") {
        const before = (await db.digest.count({ where: { status: "sending" } }));
        inFlightAtKill = before;
        app.child.kill("SIGKILL");
        await new Promise((r) => app.child.once("exit", r));
        app = startApp(smtpUrl, true);
        await app.send();
      }
    });
    await app.stop();
    const refused = fault === "smtp-421-20pct" ? await new Promise<number>((resolve) => {
      sink.once("message", (m) => resolve((m as { refused: number }).refused));
      sink.send({ stats: true });
    }) : 0;
    sink.kill("SIGTERM");
    const counts = deliveries(log);
    const delivered = [...counts.values()].reduce((a, b) => a + b, 0);
    faults.push({ fault, subscribers: FN, planned: plan.planned, delivered, distinctRecipients: counts.size, missing: plan.planned! - counts.size, duplicates: delivered - counts.size, refusedWith421: refused, claimedAtKill: inFlightAtKill, failedDigests: await db.digest.count({ where: { status: "failed" } }) });
    console.log(`${fault}: ${JSON.stringify(faults.at(-1))}`);
  }
}

// --- report ---------------------------------------------------------------------------------------------------
const commit = (() => {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();
const result = { date: new Date().toISOString(), commit, appNodeFlags: NODE_FLAGS, machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, papers: ingest.papers, digestBytes: size, runs, faults };
const out = values.out ?? path.join(PROJECT_ROOT, "bench", "results", `${new Date().toISOString().slice(0, 10)}-${commit}.json`);
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

const f = (n: unknown, d = 1) => (typeof n === "number" ? n.toFixed(d) : String(n));
console.log(`\n| app processes | subscribers | planning (s) | send throughput (msg/s) | ceiling (msg/s) | ratio | render (ms/recipient) | renders/s/core | peak RSS (MB) | wall (s) | duplicates | missing |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of runs) {
  console.log(`| ${r.workers} | ${r.subscribers} | ${f(r.planSeconds)} | ${f(r.throughputPerSecond, 0)} | ${f(r.ceilingPerSecond, 0)} | ${f(r.ratioToCeiling, 2)} | ${f(r.renderMsPerRecipient, 3)} | ${f(r.rendersPerSecondPerCore, 0)} | ${f(r.peakRssMb, 0)} | ${f(r.wallSeconds)} | ${r.duplicates} | ${r.missing} |`);
}
if (faults.length) {
  console.log(`\n| fault | subscribers | planned | delivered | missing | duplicates | 421 answers | claimed at kill |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const r of faults) console.log(`| ${r.fault} | ${r.subscribers} | ${r.planned} | ${r.delivered} | ${r.missing} | ${r.duplicates} | ${r.refusedWith421} | ${r.claimedAtKill} |`);
}
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);

await db.$disconnect();
await dropDatabase(server.url, dbName);
await server.stop();
fs.rmSync(scratch, { recursive: true, force: true });
