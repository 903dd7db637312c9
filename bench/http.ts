// `npm run bench:http`: the real app (`src/main.ts`, its own process, fresh database, per-IP limits off) under a
// fixed request rate from autocannon on loopback: POST /api/subscriptions and the form's POST /subscribe (with its
// CSRF cookie and token), each a new address every time, so every request writes and sends a confirmation email; and
// GET / (the subscribe page). Reports the rate reached next to the rate asked, p50/p99/max latency and errors, and
// exits non-zero when a scenario fell more than 5% short of the rate asked or had errors: percentiles of a lower rate
// than asked are not the figure asked for.
//   --rate 200 (requests per second)   --seconds 20   --connections 4   --only api|form|page   --out FILE
import { type ChildProcess, fork, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { PROJECT_ROOT } from "../src/config.ts";
import { dropDatabase, ensureDatabase } from "../src/db/database.ts";
import { startEmbeddedPostgres, withDatabase } from "../src/db/embedded.ts";

// autocannon paces overallRate per tick across its connections, so many connections arrive as bursts; a few
// keep-alive connections give an even rate. --connections sets it.
const { values } = parseArgs({
  options: { rate: { type: "string", default: "200" }, seconds: { type: "string", default: "20" }, connections: { type: "string", default: "4" }, only: { type: "string" }, out: { type: "string" } },
});
const connections = Number(values.connections);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-http-"));

const server = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, stop: async () => {} } : await startEmbeddedPostgres({ port: 56500 + (process.pid % 400), persistent: false });
const dbName = `tpd_http_${Date.now()}`;
await ensureDatabase(server.url, dbName);

const smtpPort = 58000 + (process.pid % 1000);
const sink: ChildProcess = fork(path.join(PROJECT_ROOT, "bench/smtp-sink.ts"), ["--port", String(smtpPort), "--log", path.join(scratch, "sink.log")], { execArgv: ["--import", "tsx"] });
await new Promise((resolve) => sink.once("message", resolve));

const port = 59000 + (process.pid % 900);
// BENCH_CPU_PROFILE=dir writes a V8 CPU profile of the app there.
const profile = process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
const app = spawn(process.execPath, [...profile, "--import", "tsx", "src/main.ts"], {
  cwd: PROJECT_ROOT,
  env: {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_BASE_URL: "https://digest.example.com",
    MAIL_FROM: "Trending Papers Digest <digest@digest.example.com>",
    DATABASE_URL: withDatabase(server.url, dbName),
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    APP_SECRET: "http-bench-secret-0123456789abcdefghijklmnop",
    RATE_LIMIT_DISABLED: "1",
    // The saved pages only: a benchmark reaches no live API.
    SOURCES: "folder",
    LOG_LEVEL: "warn",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (i > 300) throw new Error("the app did not start");
  const ok = await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false);
  if (ok) break;
  await new Promise((r) => setTimeout(r, 100));
}

const TOPICS = ["reasoning", "agents", "math", "continual-learning", "diffusion"];
let n = 0;
const nextAddress = () => `load${n++}-${Date.now()}@bench.example.com`;
const twoTopics = () => [TOPICS[n % TOPICS.length]!, TOPICS[(n + 2) % TOPICS.length]!];

async function drive(title: string, urlPath: string, expectedStatus: number, opts: Partial<autocannon.Options>) {
  console.log(`${title}: ${rate} req/s for ${seconds} s...`);
  const cpuBefore = appCpuMs();
  const result = await autocannon({ url: `${base}${urlPath}`, connections, duration: seconds, overallRate: rate, ...opts } as autocannon.Options);
  const cpuMs = appCpuMs() - cpuBefore;
  const reached = result.requests.total / result.duration;
  return {
    scenario: title,
    requests: result.requests.total,
    rateAsked: rate,
    rateReached: Math.round(reached * 10) / 10,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts,
    // The form answers 303 (to the check-your-inbox page); any other status is a failure.
    // The app's CPU time (both its threads and the emails it sends after answering) per request; Linux only.
    appCpuMsPerRequest: Number.isNaN(cpuMs) ? undefined : Math.round((cpuMs / result.requests.total) * 100) / 100,
    unexpectedStatus: Object.entries(result.statusCodeStats ?? {}).reduce((sum, [code, stat]) => sum + (Number(code) === expectedStatus ? 0 : (stat?.count ?? 0)), 0),
  };
}

/** User plus system CPU time the app process has used so far, in ms (from /proc; NaN elsewhere). */
function appCpuMs(): number {
  try {
    const fields = fs.readFileSync(`/proc/${app.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime and stime, in clock ticks of 1/100 s
  } catch {
    return Number.NaN;
  }
}

// The form's CSRF pair: the cookie the page sets and the token in its hidden field (csrf-csrf accepts the pair again
// and again, like a reader who subscribes several addresses from one open page).
async function formCredentials() {
  const page = await fetch(`${base}/`);
  const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!cookie || !token) throw new Error("the subscribe page set no CSRF cookie or token");
  return { cookie, token };
}

const scenarios: Record<string, () => Promise<Awaited<ReturnType<typeof drive>>>> = {
  api: () =>
    drive("POST /api/subscriptions", "/api/subscriptions", 202, {
      method: "POST",
      headers: { "content-type": "application/json" },
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: nextAddress(), topics: twoTopics(), timezone: "Europe/Berlin", sendHour: 7 }) }) }],
    }),
  form: async () => {
    const { cookie, token } = await formCredentials();
    return drive("POST /subscribe (form, CSRF)", "/subscribe", 303, {
      method: "POST",
      // What a browser sends with the form: its cookie, and where the post comes from.
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: "null", "sec-fetch-site": "same-origin" },
      requests: [
        {
          setupRequest: (req) => {
            const body = new URLSearchParams({ _csrf: token, email: nextAddress(), timezone: "Europe/Berlin", sendHour: "7", maxPapers: "5" });
            for (const topic of twoTopics()) body.append("topics", topic);
            return { ...req, body: body.toString() };
          },
        },
      ],
    });
  },
  page: () => drive("GET /", "/", 200, { method: "GET" }),
};

// Warm-up: first requests compile templates and open connections.
await fetch(`${base}/`);
const load = os.loadavg()[0]!;
if (load > os.cpus().length / 2) console.warn(`warning: load average ${load.toFixed(1)} on ${os.cpus().length} cores before the run; figures from a busy machine are not the app's`);
const chosen = values.only ? values.only.split(",") : Object.keys(scenarios);
const results = [];
for (const name of chosen) {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`--only: unknown scenario "${name}" (api, form, page)`);
  results.push(await scenario());
}

app.kill("SIGTERM");
await new Promise((r) => app.once("exit", r));
sink.kill("SIGTERM");
await dropDatabase(server.url, dbName);
await server.stop();
fs.rmSync(scratch, { recursive: true, force: true });

console.log(`\n| scenario | rate asked (req/s) | rate reached (req/s) | requests | p50 (ms) | p99 (ms) | max (ms) | errors | other status | app CPU per request (ms) |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of results) console.log(`| ${r.scenario} | ${r.rateAsked} | ${r.rateReached} | ${r.requests} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.errors} | ${r.unexpectedStatus} | ${r.appCpuMsPerRequest ?? "n/a"} |`);
const out = values.out ?? path.join(PROJECT_ROOT, "bench", "results", `http-${new Date().toISOString().slice(0, 10)}.json`);
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version, loadBefore: load }, rate, seconds, connections, results }, null, 2)}\n`);
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);

const short = results.filter((r) => r.rateReached < r.rateAsked * 0.95);
const failed = results.filter((r) => r.errors > 0 || r.unexpectedStatus > 0);
for (const r of short) console.error(`FAILED: ${r.scenario} reached ${r.rateReached} req/s of the ${r.rateAsked} asked (more than 5% short): its percentiles are not those of ${r.rateAsked} req/s`);
for (const r of failed) console.error(`FAILED: ${r.scenario} had ${r.errors} errors and ${r.unexpectedStatus} answers of another status than expected`);
if (short.length || failed.length) process.exitCode = 1;
