// `npm run bench:http`: the real app (`src/main.ts`, its own process, fresh database, per-IP limits off) under a
// fixed request rate from autocannon on loopback: POST /api/subscriptions (a new address each time, so every request
// writes and sends a confirmation email) and GET / (the subscribe page). Reports p50/p99 latency and errors.
//   --rate 200 (requests per second)   --seconds 20   --connections 4   --out FILE
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
const { values } = parseArgs({ options: { rate: { type: "string", default: "200" }, seconds: { type: "string", default: "20" }, connections: { type: "string", default: "4" }, out: { type: "string" } } });
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
async function drive(title: string, urlPath: string, opts: Partial<autocannon.Options>) {
  console.log(`${title}: ${rate} req/s for ${seconds} s...`);
  const result = await autocannon({ url: `${base}${urlPath}`, connections, duration: seconds, overallRate: rate, ...opts } as autocannon.Options);
  const non2xx = result.non2xx;
  return {
    scenario: title,
    requests: result.requests.total,
    ratePerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx,
  };
}

// Warm-up: first requests compile templates and open connections.
await fetch(`${base}/`);
const results = [
  await drive("POST /api/subscriptions", "/api/subscriptions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ email: `load${n++}-${Date.now()}@bench.example.com`, topics: [TOPICS[n % TOPICS.length]!, TOPICS[(n + 2) % TOPICS.length]!], timezone: "Europe/Berlin", sendHour: 7 }),
        }),
      },
    ],
  }),
  await drive("GET /", "/", { method: "GET" }),
];

app.kill("SIGTERM");
await new Promise((r) => app.once("exit", r));
sink.kill("SIGTERM");
await dropDatabase(server.url, dbName);
await server.stop();
fs.rmSync(scratch, { recursive: true, force: true });

console.log(`\n| scenario | rate (req/s) | requests | p50 (ms) | p99 (ms) | max (ms) | errors | non-2xx |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of results) console.log(`| ${r.scenario} | ${r.ratePerSecond} | ${r.requests} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.errors} | ${r.non2xx} |`);
const out = values.out ?? path.join(PROJECT_ROOT, "bench", "results", `http-${new Date().toISOString().slice(0, 10)}.json`);
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, rate, seconds, connections, results }, null, 2)}\n`);
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
