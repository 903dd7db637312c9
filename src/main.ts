// `npm start`: database (embedded unless DATABASE_URL), migrations, corpus, web server, scheduled jobs.
import type { Server } from "node:http";
import { scheduleCorpusRescan, rescanCorpus } from "../jobs/corpus-rescan.ts";
import { runDigestTick, scheduleDigests } from "../jobs/daily-digest.ts";
import { sendDeps, startDigestRuntime } from "./digest/runtime.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { createLogger } from "./log.ts";
import { openMailer } from "./mail/setup.ts";
import { loadEmailTemplates } from "./mail/templates.ts";
import { resolveAppSecret } from "./secret.ts";
import { buildApp } from "./service.ts";
import { syncTopics } from "./topics/topics.ts";

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
  if (config.limits.disabled) log.warn("RATE_LIMIT_DISABLED is set: subscribe rate limits are off (benchmarks and local load tests only)");
  const appSecret = resolveAppSecret(config, log);
  const emails = await loadEmailTemplates();
  const database = await openDatabase(config, log);
  const { db } = database;
  await syncTopics(db);
  const { mailer, catcher } = await openMailer(config, log);

  await rescanCorpus(config, db, log);
  const digests = await startDigestRuntime(config, database.url, sendDeps(config, { db, mailer, emails, log, appSecret }), { worker: true });
  const tickDeps = { db, boss: digests.boss, log, gate: digests.gate };
  // Catch up at start: digests due while the service was down go out now, not tomorrow.
  await runDigestTick(tickDeps).catch((err) => {
    if (!digests.gate.report(err)) log.error({ err }, "digest tick failed");
  });
  const tasks = [scheduleCorpusRescan(config, db, log), scheduleDigests(config.digest.cron, tickDeps)];

  const app = buildApp({ config, db, log, mailer, emails, appSecret, catcher });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  log.info(`listening on ${config.publicBaseUrl} (bound to ${config.host}:${config.port})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    for (const task of tasks) await task.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
