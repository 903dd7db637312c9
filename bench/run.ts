// `npm run bench`: one day's digests for N subscribers, end to end (plan, render, queue, send) into an SMTP sink in a
// separate process, next to the raw Nodemailer ceiling measured in the same run. Options:
//   --subscribers N   (default 100000)      --workers 1,2   (runs with 1 and with 2 app processes)
//   --repeats R       (default 3: ceiling, app, ceiling, app, ceiling, app for each number of app processes)
//   --pg-stats        (print each app run's most expensive statements, from pg_stat_statements)
//   --faults          (also the fault runs: 421 to 20% and to 70%, sink killed and restarted, sink blackholed 60 s,
//                      app SIGKILLed and restarted, PostgreSQL SIGKILLed and restarted 20 s later)
//   --fault-runs a,b  (only these fault runs)  --fault-subscribers N (default 5000)
//   --out FILE        (JSON; default bench/results/<date>-<commit>.json)
//   --node-flags "..." (Node flags of the app processes and the ceiling; default none)
//   --plan-apart      (a process of its own plans; the sending processes start without the planner's heap)
// Environment: BENCH_CEILING_FORM=parts (the ceiling gets the bodies as finished MIME parts, as the app's mail thread
// does; default: as a plain Nodemailer program gives them, see bench/ceiling.ts),
// BENCH_CONCURRENCY (sends in flight, app and ceiling; default 100), BENCH_CPU_PROFILE=dir (V8 CPU
// profiles of the app processes and the ceiling), BENCH_HEAP_PROFILE=dir (allocation profile of each app process's sending).
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../src/config.ts";
import { loadDigestPapers } from "../src/digest/queries.ts";
import { renderDigest } from "../src/digest/render.ts";
import { digestPageUrl } from "../src/digest/send.ts";
import { loadEmailTemplates } from "../src/mail/templates.ts";
import { listHeaders } from "../src/mail/transport.ts";
import { feedbackUrls, subscriberLinks } from "../src/subscriptions/links.ts";
import { type Fault, FAULTS, runFaults } from "./faults.ts";
import { CONCURRENCY, createHarness, POOL, SECRET } from "./harness.ts";
import { epochMs, sendRates, summarize } from "./rates.ts";
import { createSubscribers } from "./subscribers.ts";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "100000" },
    workers: { type: "string", default: "1,2" },
    repeats: { type: "string", default: "3" },
    "pg-stats": { type: "boolean", default: false },
    "plan-apart": { type: "boolean", default: false },
    faults: { type: "boolean", default: false },
    "fault-subscribers": { type: "string", default: "5000" },
    "fault-runs": { type: "string", default: FAULTS.join(",") },
    out: { type: "string" },
    // None by default: the app needs no heap cap. A cap (--node-flags "--max-old-space-size=256") keeps a sending
    // process smaller (V8 grows its heap lazily under a high allocation rate) and costs throughput (README, "Scale").
    "node-flags": { type: "string", default: "" },
  },
});
const NODE_FLAGS = values["node-flags"]!.split(" ").filter(Boolean);
const N = Number(values.subscribers);
const REPEATS = Math.max(1, Number(values.repeats));
// Papers first seen 12 hours ago: the app processes plan at the real time (a digest's give-up window counts from its
// planning), and the papers must be inside that plan's trending window.
const h = await createHarness(NODE_FLAGS, { papersSeenAt: new Date(Date.now() - 12 * 3600_000) });
const { db, scratch, startSink, startApp, waitUntilSent, resetDay, deliveries, freePort, sinkLog, topStatements, postgresCpuMs, processCpuMs } = h;

/**
 * Full per-recipient render (links signed, data prepared, template filled) over planned digests, after one compile.
 * The first `keep` rendered digests are returned as the messages the app would send (same headers): the ceiling sends
 * these, so both sides move the same sizes and MIME encodings (digests of 3 to 10 papers, quotes and symbols in them).
 */
async function measureRender(sample: number, keep: number) {
  let t0 = performance.now();
  const templates = await loadEmailTemplates(undefined, { cache: false }); // the real MJML compile, not the cache
  const compileMs = performance.now() - t0;
  const digests = await db.digest.findMany({
    where: { status: "planned" },
    take: sample,
    include: { subscriber: true },
  });
  const papersOf = await loadDigestPapers(db, digests.map((d) => d.id));
  const links = { publicBaseUrl: "https://digest.example.com", appSecret: SECRET };
  const rendered: ReturnType<typeof renderDigest>[] = [];
  t0 = performance.now();
  for (const d of digests) {
    const r = renderDigest(
      templates,
      { localDate: d.localDate, email: d.subscriber.email, confirmedAt: d.subscriber.confirmedAt, papers: papersOf.get(d.id) ?? [] },
      {
        baseUrl: links.publicBaseUrl,
        viewInBrowserUrl: digestPageUrl(links, d.id),
        ...subscriberLinks(links, d.subscriber.id),
        postalAddress: "1 Example Street",
        feedbackUrl: feedbackUrls(links, d.subscriber.id), // as the sender makes them (one token per paper)
      },
    );
    if (rendered.length < keep) rendered.push(r);
  }
  const perRecipientMs = (performance.now() - t0) / digests.length;
  const messages = rendered.map((r, i) => ({
    subject: r.subject,
    html: r.html,
    text: r.text,
    messageId: `<digest-${digests[i]!.id}@digest.example.com>`,
    headers: listHeaders({ unsubscribeUrl: subscriberLinks(links, digests[i]!.subscriber.id).unsubscribeUrl, listId: "Trending Papers Digest <digest.digest.example.com>" }),
  }));
  const bytes = messages.reduce((a, m) => a + m.html.length + m.text.length, 0) / messages.length;
  return { compileMs, perRecipientMs, rendersPerSecondPerCore: 1000 / perRecipientMs, sample: digests.length, messages, averageBytes: bytes };
}

// --- the runs -------------------------------------------------------------------------------------------------
// Absolute rates swing with whatever else the machine runs; the ratio is the figure, so the ceiling and the app take
// turns (ceiling, app, ceiling, app...) on the same sink with the same number of messages, and each app run is
// compared with the ceiling measured just before it.
const cpus = os.cpus().length;
const loadAtStart = os.loadavg();
if (loadAtStart[0]! > cpus / 2) {
  console.warn(`\n*** load average ${loadAtStart.map((l) => l.toFixed(2)).join(", ")} on ${cpus} cores: the machine is busy; absolute rates will be low and the ratio less certain ***\n`);
}
// --workers none: only the fault runs (which create their own subscribers).
const workerCounts = values.workers!.split(",").map(Number).filter((n) => n > 0);
let t = performance.now();
if (workerCounts.length) {
  console.log(`creating ${N} confirmed subscribers...`);
  await createSubscribers(db, N);
  console.log(`  ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// The messages the ceiling sends: real digests of this population, planned once by an app process that then stops.
const ceilingMessages = path.join(scratch, "ceiling-messages.json");
const render = await (async () => {
  if (!workerCounts.length) return undefined;
  const sampler = startApp("smtp://127.0.0.1:1", true);
  await sampler.message("planMs");
  const r = await measureRender(5000, 500);
  await sampler.stop();
  await resetDay();
  fs.writeFileSync(ceilingMessages, JSON.stringify(r.messages));
  console.log(`render: MJML compile ${r.compileMs.toFixed(0)} ms once, then ${r.perRecipientMs.toFixed(3)} ms per recipient (${r.rendersPerSecondPerCore.toFixed(0)} digests/s per core); ${r.messages.length} of them (${(r.averageBytes / 1024).toFixed(1)} KiB of HTML and text on average) are the ceiling's messages`);
  return r;
})();
const size = render?.averageBytes ?? NaN;

/** Share of the machine's CPU time that was busy since `since` (all processes, ours and others'). */
const cpuTimes = () => os.cpus().reduce((a, c) => ({ busy: a.busy + c.times.user + c.times.nice + c.times.sys + c.times.irq, idle: a.idle + c.times.idle }), { busy: 0, idle: 0 });
const busyShare = (since: ReturnType<typeof cpuTimes>) => {
  const now = cpuTimes();
  return (now.busy - since.busy) / (now.busy - since.busy + now.idle - since.idle);
};

function runCeiling(smtpUrl: string, count: number) {
  const out = execSync(
    `node --import tsx ${NODE_FLAGS.join(" ")} ${process.env.BENCH_CPU_PROFILE ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}` : ""} bench/ceiling.ts --url ${smtpUrl} --count ${count} --pool ${POOL} --concurrency ${CONCURRENCY} --messages ${ceilingMessages}`,
    { cwd: PROJECT_ROOT, encoding: "utf8", maxBuffer: 256 * 2 ** 20 },
  );
  return JSON.parse(out) as { startedAt: number; acceptedAt: number[]; cpuMs: number };
}

const runs: Record<string, unknown>[] = [];
for (const workers of workerCounts) {
  const port = freePort();
  const log = sinkLog();
  const sink = await startSink(port, log);
  const smtpUrl = `smtp://127.0.0.1:${port}`;
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    const load = os.loadavg()[0]!;
    // Raw ceiling: the same sink, the same message, as many messages as the app will send (one per subscriber).
    fs.writeFileSync(log, "");
    let since = cpuTimes();
    let pgCpu = postgresCpuMs();
    let sinkCpu = processCpuMs(sink.pid);
    const c = runCeiling(smtpUrl, N);
    const ceiling = { ...sendRates(c), cpuMsPerMessage: c.cpuMs / N, machineBusy: busyShare(since), postgresCpuMsPerMessage: (postgresCpuMs() - pgCpu) / N, sinkCpuMsPerMessage: (processCpuMs(sink.pid) - sinkCpu) / N };
    fs.writeFileSync(log, ""); // the ceiling's messages are not digests
    console.log(`\n[${workers} app process(es), run ${repeat}/${REPEATS}, load ${load.toFixed(2)}] ceiling: ${ceiling.steadyPerSecond.toFixed(0)} msg/s steady, ${ceiling.overallPerSecond.toFixed(0)} overall (${N} messages, ${(size / 1024).toFixed(1)} KiB on average), first send ${ceiling.firstSendMs.toFixed(0)} ms`);

    await resetDay();
    t = performance.now();
    // --plan-apart: a process of its own plans and stops; the sending processes start with a fresh heap.
    const planner = values["plan-apart"] ? startApp(smtpUrl, true) : undefined;
    const plannedApart = planner ? await planner.message("planMs") : undefined;
    if (planner) await planner.stop();
    const apps = [startApp(smtpUrl, !planner), ...Array.from({ length: workers - 1 }, () => startApp(smtpUrl, false))];
    const plan = plannedApart ?? (await apps[0]!.message("planMs"));
    console.log(`planned ${plan.planned} digests in ${(plan.planMs / 1000).toFixed(1)} s (${plan.skipped} with nothing new)`);
    if (plan.planned !== N) console.warn(`  the ceiling sent ${N} messages, the app sends ${plan.planned}: the ratio compares different counts`);
    await Promise.all(apps.map((a) => a.message("ready")));
    await topStatements(); // reset: what follows is the sending alone
    since = cpuTimes();
    pgCpu = postgresCpuMs();
    sinkCpu = processCpuMs(sink.pid);
    const startedAt = epochMs();
    await Promise.all(apps.map((a) => a.send()));
    await waitUntilSent(plan.planned, `sending (${workers} process${workers > 1 ? "es" : ""})`, undefined, log);
    const machineBusy = busyShare(since);
    const postgresCpu = postgresCpuMs() - pgCpu;
    const sinkCpuMs = processCpuMs(sink.pid) - sinkCpu;
    const statements = await topStatements(8);
    const wallSeconds = (performance.now() - t) / 1000;
    const reports = await Promise.all(apps.map((a) => a.stop()));
    const counts = deliveries(log);
    const delivered = [...counts.values()].reduce((a, b) => a + b, 0);
    const app = {
      ...sendRates({ startedAt, acceptedAt: reports.flatMap((r) => r.acceptedAt as number[]) }),
      cpuMsPerMessage: reports.reduce((a, r) => a + r.cpuMs, 0) / delivered,
      // Of which the main thread (the sender's own work); the rest is the mail thread (Nodemailer), GC helpers and I/O.
      mainThreadCpuMsPerMessage: reports.reduce((a, r) => a + r.mainThreadMs, 0) / delivered,
      postgresCpuMsPerMessage: postgresCpu / delivered,
      sinkCpuMsPerMessage: sinkCpuMs / delivered,
      machineBusy,
      loopDelayP99Ms: Math.max(...reports.map((r) => r.loop.p99Ms)),
      loopDelayMaxMs: Math.max(...reports.map((r) => r.loop.maxMs)),
      queueCalls: reports.map((r) => r.queueCalls),
      // Share of the sending time the SMTP pool had fewer messages than connections (the pipeline, not the CPU, waiting).
      poolStarvedShare: reports.reduce((a, r) => a + r.poolStarvedMs, 0) / reports.length / ((reports.flatMap((r) => r.acceptedAt as number[]).reduce((a, b) => Math.max(a, b), 0) - startedAt) || 1),
      gcMsPerMessage: reports.reduce((a, r) => a + r.gc.minorMs + r.gc.majorMs + r.gc.otherMs, 0) / delivered,
      gc: reports.map((r) => r.gc),
      heapUsedAtSendMb: reports.map((r) => r.heapUsedAtSendMb),
    };
    runs.push({
      workers,
      repeat,
      subscribers: N,
      loadAverageAtStart: load,
      planned: plan.planned,
      planSeconds: plan.planMs / 1000,
      ceiling,
      app,
      ratioSteady: app.steadyPerSecond / ceiling.steadyPerSecond,
      ratioOverall: app.overallPerSecond / ceiling.overallPerSecond,
      // The template fill alone, as measured inside the app processes while they sent.
      fillMsPerRecipientInApp: reports.reduce((a, r) => a + r.fillMs, 0) / reports.reduce((a, r) => a + r.fills, 0),
      peakRssMb: Math.max(...reports.map((r) => r.maxRssMb)),
      wallSeconds,
      delivered,
      distinctRecipients: counts.size,
      duplicates: delivered - counts.size,
      missing: plan.planned - counts.size,
      statements,
    });
    const r = runs.at(-1)!;
    console.log(
      `app: ${app.steadyPerSecond.toFixed(0)} msg/s steady, ${app.overallPerSecond.toFixed(0)} overall, first send ${app.firstSendMs.toFixed(0)} ms; ratio ${(r.ratioSteady as number).toFixed(2)} steady, ${(r.ratioOverall as number).toFixed(2)} overall; ` +
        `CPU ms/message app ${app.cpuMsPerMessage.toFixed(2)} (main thread ${app.mainThreadCpuMsPerMessage.toFixed(2)}) + PostgreSQL ${app.postgresCpuMsPerMessage.toFixed(2)} (ceiling ${ceiling.cpuMsPerMessage.toFixed(2)}; sink ${ceiling.sinkCpuMsPerMessage.toFixed(2)} / ${app.sinkCpuMsPerMessage.toFixed(2)}; machine busy ${(ceiling.machineBusy * 100).toFixed(0)}% / ${(app.machineBusy * 100).toFixed(0)}%), of which GC ${app.gcMsPerMessage.toFixed(2)} (${JSON.stringify(app.gc.map((g) => Object.fromEntries(Object.entries(g as Record<string, number>).map(([k, v]) => [k, Math.round(v)]))))}, heap ${app.heapUsedAtSendMb.map((m) => m.toFixed(0)).join("/")} MB at start); loop delay p99 ${app.loopDelayP99Ms.toFixed(1)} ms; SMTP pool short of messages ${(app.poolStarvedShare * 100).toFixed(0)}% of the time; ${r.duplicates} duplicates, ${r.missing} missing`,
    );
    if (values["pg-stats"]) for (const s of statements) console.log(`  ${s.totalMs.toFixed(0).padStart(7)} ms ${String(s.calls).padStart(7)} calls ${s.meanMs.toFixed(2).padStart(7)} ms/call  ${s.query}`);
  }
  sink.kill("SIGTERM");
}

// --- fault runs -----------------------------------------------------------------------------------------------
const faultRuns = values["fault-runs"]!.split(",").filter(Boolean) as Fault[];
const unknownFault = faultRuns.find((f) => !FAULTS.includes(f));
if (unknownFault) throw new Error(`--fault-runs: unknown run "${unknownFault}" (known: ${FAULTS.join(", ")})`);
const faults = values.faults ? await runFaults(h, Number(values["fault-subscribers"]), faultRuns) : [];

// --- report ---------------------------------------------------------------------------------------------------
const commit = (() => {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();
const f = (n: unknown, d = 1) => (typeof n === "number" ? n.toFixed(d) : String(n));
const num = (r: Record<string, unknown>, k: string, sub?: string) => (sub ? (r[k] as Record<string, number>)[sub]! : (r[k] as number));
console.log(`\n| app processes | run | load (1 min) | ceiling steady (msg/s) | app steady (msg/s) | ratio steady | ceiling overall | app overall | ratio overall | first send ceiling / app (ms) | CPU ms/msg ceiling / app + PostgreSQL | planning (s) | duplicates | missing |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of runs) {
  const c = r.ceiling as Record<string, number>;
  const a = r.app as Record<string, number>;
  console.log(`| ${r.workers} | ${r.repeat} | ${f(r.loadAverageAtStart, 2)} | ${f(c.steadyPerSecond, 0)} | ${f(a.steadyPerSecond, 0)} | ${f(r.ratioSteady, 2)} | ${f(c.overallPerSecond, 0)} | ${f(a.overallPerSecond, 0)} | ${f(r.ratioOverall, 2)} | ${f(c.firstSendMs, 0)} / ${f(a.firstSendMs, 0)} | ${f(c.cpuMsPerMessage, 2)} / ${f(a.cpuMsPerMessage, 2)} + ${f(a.postgresCpuMsPerMessage, 2)} | ${f(r.planSeconds)} | ${r.duplicates} | ${r.missing} |`);
}
const summaries: Record<string, unknown>[] = [];
console.log(`\nmedian (min–max) over the runs:\n`);
console.log(`| app processes | subscribers | runs | ratio steady | ratio overall | ceiling steady (msg/s) | app steady (msg/s) | ceiling overall | app overall | app first send (ms) | planning (s) | duplicates | missing |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const workers of [...new Set(runs.map((r) => r.workers as number))]) {
  const rs = runs.filter((r) => r.workers === workers);
  const m = (get: (r: Record<string, unknown>) => number, d: number) => {
    const s = summarize(rs.map(get));
    return { text: `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})`, ...s };
  };
  const row = {
    workers,
    subscribers: N,
    runs: rs.length,
    ratioSteady: m((r) => num(r, "ratioSteady"), 2),
    ratioOverall: m((r) => num(r, "ratioOverall"), 2),
    ceilingSteady: m((r) => num(r, "ceiling", "steadyPerSecond"), 0),
    appSteady: m((r) => num(r, "app", "steadyPerSecond"), 0),
    ceilingOverall: m((r) => num(r, "ceiling", "overallPerSecond"), 0),
    appOverall: m((r) => num(r, "app", "overallPerSecond"), 0),
    appFirstSendMs: m((r) => num(r, "app", "firstSendMs"), 0),
    planSeconds: m((r) => num(r, "planSeconds"), 1),
    duplicates: rs.reduce((a, r) => a + num(r, "duplicates"), 0),
    missing: rs.reduce((a, r) => a + num(r, "missing"), 0),
  };
  summaries.push(row);
  console.log(`| ${workers} | ${N} | ${rs.length} | ${row.ratioSteady.text} | ${row.ratioOverall.text} | ${row.ceilingSteady.text} | ${row.appSteady.text} | ${row.ceilingOverall.text} | ${row.appOverall.text} | ${row.appFirstSendMs.text} | ${row.planSeconds.text} | ${row.duplicates} | ${row.missing} |`);
}
console.log(`\nload average at start ${loadAtStart.map((l) => l.toFixed(2)).join(", ")}, at the end ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`);
if (faults.length) {
  console.log(`\n| fault run | readers | delivered once | duplicated | missed | in flight at the fault | fault → all sent (s) | fault over → all sent (s) | 421 answers | failed digests |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const r of faults) {
    console.log(`| ${r.fault} | ${r.readers} | ${r.deliveredOnce} | ${r.duplicated} | ${r.missed} | ${r.inFlightAtFault ?? "–"} | ${f(r.secondsFromFaultToAllSent)} | ${r.secondsFromFaultEndToAllSent === null ? "–" : f(r.secondsFromFaultEndToAllSent)} | ${r.refusedWith421} | ${r.failedDigests} |`);
  }
}
const result = { date: new Date().toISOString(), commit, render: render && { mjmlCompileMs: render.compileMs, renderMsPerRecipient: render.perRecipientMs, rendersPerSecondPerCore: render.rendersPerSecondPerCore, averageMessageBytes: render.averageBytes }, loadAverage: { start: loadAtStart, end: os.loadavg() }, summaries, appNodeFlags: NODE_FLAGS, machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, papers: h.papers, digestBytes: size, runs, faults };
const out = values.out ?? path.join(PROJECT_ROOT, "bench", "results", `${new Date().toISOString().slice(0, 10)}-${commit}.json`);
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

console.log(`\nwrote ${path.relative(process.cwd(), out)}`);

await h.close();
