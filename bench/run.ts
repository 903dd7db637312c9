// `npm run bench`: one day's digests for N subscribers, end to end (plan, render, queue, send) into an SMTP sink in a
// separate process, next to the raw Nodemailer ceiling measured in the same run. Options:
//   --subscribers N   (default 100000)      --workers 1,2   (runs with 1 and with 2 app processes)
//   --faults          (also the fault runs: 421 to 20% and to 70%, sink killed and restarted, sink blackholed 60 s,
//                      app SIGKILLed and restarted, PostgreSQL SIGKILLed and restarted 20 s later)
//   --fault-runs a,b  (only these fault runs)  --fault-subscribers N (default 5000)
//   --out FILE        (JSON; default bench/results/<date>-<commit>.json)
//   --node-flags "..." (Node flags of the app processes; default --max-old-space-size=256)
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
import { feedbackUrl, subscriberLinks } from "../src/subscriptions/links.ts";
import { type Fault, FAULTS, runFaults } from "./faults.ts";
import { CONCURRENCY, createHarness, DATE, POOL, SECRET } from "./harness.ts";
import { createSubscribers } from "./subscribers.ts";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "100000" },
    workers: { type: "string", default: "1,2" },
    faults: { type: "boolean", default: false },
    "fault-subscribers": { type: "string", default: "5000" },
    "fault-runs": { type: "string", default: FAULTS.join(",") },
    out: { type: "string" },
    // V8 grows its heap lazily under a high allocation rate (the live set while sending is ~70 MB, the heap grows
    // past 200 MB); a cap keeps the process small. Pass --node-flags "" to measure without it.
    "node-flags": { type: "string", default: "--max-old-space-size=256" },
  },
});
const NODE_FLAGS = values["node-flags"]!.split(" ").filter(Boolean);
const N = Number(values.subscribers);
// Papers first seen 12 hours ago: the app processes plan at the real time (a digest's give-up window counts from its
// planning), and the papers must be inside that plan's trending window.
const h = await createHarness(NODE_FLAGS, { papersSeenAt: new Date(Date.now() - 12 * 3600_000) });
const { db, scratch, startSink, startApp, waitUntilSent, resetDay, deliveries, freePort, sinkLog } = h;

/** Full per-recipient render (links signed, data prepared, template filled) over planned digests, after one compile. */
async function measureRender(sample: number) {
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
  t0 = performance.now();
  for (const d of digests) {
    renderDigest(
      templates,
      { localDate: d.localDate, email: d.subscriber.email, confirmedAt: d.subscriber.confirmedAt, papers: papersOf.get(d.id) ?? [] },
      {
        baseUrl: links.publicBaseUrl,
        viewInBrowserUrl: digestPageUrl(links, d.id),
        ...subscriberLinks(links, d.subscriber.id),
        postalAddress: "1 Example Street",
        feedbackUrl: (paperId, verdict) => feedbackUrl(links, d.subscriber.id, paperId, verdict),
      },
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
    {
      baseUrl: "https://digest.example.com",
      viewInBrowserUrl: "https://digest.example.com/digests/x",
      manageUrl: "https://digest.example.com/manage/x",
      unsubscribeUrl: "https://digest.example.com/unsubscribe/x",
      postalAddress: "x",
      feedbackUrl: (paperId, verdict) => feedbackUrl({ publicBaseUrl: "https://digest.example.com", appSecret: SECRET }, "00000000-0000-4000-8000-000000000000", paperId, verdict),
    },
  );
  fs.writeFileSync(path.join(scratch, "digest.html"), r.html);
  fs.writeFileSync(path.join(scratch, "digest.txt"), r.text);
  return r.html.length + r.text.length;
}

// --- the runs -------------------------------------------------------------------------------------------------
// --workers none: only the fault runs (which create their own subscribers).
const workerCounts = values.workers!.split(",").map(Number).filter((n) => n > 0);
let t = performance.now();
if (workerCounts.length) {
  console.log(`creating ${N} confirmed subscribers...`);
  await createSubscribers(db, N);
  console.log(`  ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const size = await typicalDigest();

const runs: Record<string, unknown>[] = [];
for (const workers of workerCounts) {
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
const result = { date: new Date().toISOString(), commit, appNodeFlags: NODE_FLAGS, machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, papers: h.papers, digestBytes: size, runs, faults };
const out = values.out ?? path.join(PROJECT_ROOT, "bench", "results", `${new Date().toISOString().slice(0, 10)}-${commit}.json`);
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

const f = (n: unknown, d = 1) => (typeof n === "number" ? n.toFixed(d) : String(n));
console.log(`\n| app processes | subscribers | planning (s) | send throughput (msg/s) | ceiling (msg/s) | ratio | render (ms/recipient) | renders/s/core | peak RSS (MB) | wall (s) | duplicates | missing |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of runs) {
  console.log(`| ${r.workers} | ${r.subscribers} | ${f(r.planSeconds)} | ${f(r.throughputPerSecond, 0)} | ${f(r.ceilingPerSecond, 0)} | ${f(r.ratioToCeiling, 2)} | ${f(r.renderMsPerRecipient, 3)} | ${f(r.rendersPerSecondPerCore, 0)} | ${f(r.peakRssMb, 0)} | ${f(r.wallSeconds)} | ${r.duplicates} | ${r.missing} |`);
}
if (faults.length) {
  console.log(`\n| fault run | readers | delivered once | duplicated | missed | in flight at the fault | fault → all sent (s) | fault over → all sent (s) | 421 answers | failed digests |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const r of faults) {
    console.log(`| ${r.fault} | ${r.readers} | ${r.deliveredOnce} | ${r.duplicated} | ${r.missed} | ${r.inFlightAtFault ?? "–"} | ${f(r.secondsFromFaultToAllSent)} | ${r.secondsFromFaultEndToAllSent === null ? "–" : f(r.secondsFromFaultEndToAllSent)} | ${r.refusedWith421} | ${r.failedDigests} |`);
  }
}
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);

await h.close();
