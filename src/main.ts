// `npm start`: database (embedded unless DATABASE_URL), migrations, paper sources, web server, scheduled jobs.
import { runDigestTick, scheduleDigests } from "../jobs/daily-digest.ts";
import { scheduleOptInOutbox } from "../jobs/optin-outbox.ts";
import { runSourceJob, scheduleSources } from "../jobs/sources.ts";
import { sendDeps, startDigestRuntime } from "./digest/runtime.ts";
import { ConfigError, configWarnings, loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { createLogger } from "./log.ts";
import { openMailer } from "./mail/setup.ts";
import { loadEmailTemplates } from "./mail/templates.ts";
import { serveMetrics } from "./metrics/endpoint.ts";
import { measureMailer } from "./metrics/mailer.ts";
import { createMetrics } from "./metrics/metrics.ts";
import { resolveAppSecret } from "./secret.ts";
import { createSources } from "./sources/registry.ts";
import { buildApp, subscriptionDeps } from "./service.ts";
import { reservePort, StartupError } from "./web/server.ts";
import { syncTopics } from "./topics/topics.ts";
import { createReadiness, startupResponder } from "./web/health.ts";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, { format: config.logFormat });
  for (const warning of configWarnings(config)) log.warn(warning);
  // The port opens first: a taken port ends the start here with one clear line, before the database and the jobs
  // start; /healthz answers while the database starts and migrations run, /readyz says 503 until the app takes over.
  const readiness = createReadiness("starting");
  const { server, serve } = await reservePort(config.port, config.host, startupResponder(readiness));
  log.info(`port ${config.port} open: /healthz answers now, /readyz once started`);
  const appSecret = resolveAppSecret(config, log);
  const emails = await loadEmailTemplates();
  const database = await openDatabase(config, log, { onMigrate: () => readiness.set("migrating") });
  readiness.set("starting");
  const { db } = database;
  const metrics = createMetrics({ db });
  await syncTopics(db);
  const opened = await openMailer(config, log);
  const { catcher } = opened;
  const mailer = measureMailer(opened.mailer, metrics);

  const sourceDeps = { db, databaseUrl: database.url, log, sources: createSources(config, db, log) };
  const live = config.sources.enabled.filter((s) => s !== "folder");
  if (live.length && config.sources.placeholderContact) {
    log.warn(`sources ${live.join(", ")}: our User-Agent names "${config.sources.contact}" as contact; set SOURCES_CONTACT to an address where the operators of those APIs can reach you`);
  }
  // The saved pages first, as before; live sources in the background, so a slow or unreachable API delays nothing.
  if (config.sources.enabled.includes("folder")) await runSourceJob(sourceDeps, "folder");
  for (const name of live) void runSourceJob(sourceDeps, name);
  const send = sendDeps(config, { db, mailer, emails, log, appSecret });
  const digests = await startDigestRuntime(config, database.url, send, { worker: true, onOutcome: metrics.digestOutcome });
  const tickDeps = { db, boss: digests.boss, log, gate: digests.gate, windowDays: config.sources.trendingWindowDays, metrics, notices: send };
  // Catch up at start: digests due while the service was down go out now, not tomorrow.
  await runDigestTick(tickDeps).catch((err) => {
    if (!digests.gate.report(err)) log.error({ err }, "digest tick failed");
  });
  // The measured mailer: opt-in emails (sent by requests and by the outbox sweeper) count in the send metrics too.
  const parts = { config, db, log, mailer, emails, appSecret, catcher, metrics, readiness };
  const tasks = [...scheduleSources(config, sourceDeps), scheduleDigests(config.digest.cron, tickDeps), scheduleOptInOutbox(subscriptionDeps(parts))];

  const app = buildApp(parts);
  serve(app);
  const metricsServer = config.metrics.port === undefined ? undefined : await serveMetrics(metrics, { host: config.metrics.host, port: config.metrics.port, token: config.metrics.token, log });
  readiness.set("ready");
  log.info(`listening on ${config.publicBaseUrl} (bound to ${config.host}:${config.port})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    readiness.set("stopping");
    log.info(`${signal}: stopping`);
    for (const task of tasks) await task.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await metricsServer?.close();
    await digests.stop(); // finishes in-flight sends, releases nothing half-done
    mailer.close();
    await catcher?.stop();
    await database.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err) => {
  // A startup problem the operator can fix is one line; anything else is a bug, with its stack.
  console.error(err instanceof StartupError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
