import { openDatabase } from "../db/database.ts";
import { sendDeps, startDigestRuntime } from "../digest/runtime.ts";
import { openMailer } from "../mail/setup.ts";
import { loadEmailTemplates } from "../mail/templates.ts";
import { serveMetrics } from "../metrics/endpoint.ts";
import { measureMailer } from "../metrics/mailer.ts";
import { createMetrics } from "../metrics/metrics.ts";
import { resolveAppSecret } from "../secret.ts";
import type { Command } from "./command.ts";

export const workerCommand: Command = {
  summary: "Run only a send worker (no web server, no scheduler): add these on other machines to send faster. --metrics-port N (or METRICS_PORT) serves its Prometheus metrics on METRICS_HOST:N.",
  usage: "worker [--metrics-port N]",
  options: { "metrics-port": { type: "string" } },
  async run({ config, log, values }) {
    const portOption = values["metrics-port"] as string | undefined;
    if (portOption !== undefined && !/^\d+$/.test(portOption)) {
      console.error(`worker: --metrics-port must be a port number, got "${portOption}"`);
      return 2;
    }
    const metricsPort = portOption !== undefined ? Number(portOption) : config.metrics.port;
    const appSecret = resolveAppSecret(config, log);
    const emails = await loadEmailTemplates();
    const database = await openDatabase(config, log);
    const metrics = createMetrics({ db: database.db });
    const opened = await openMailer(config, log);
    const mailer = measureMailer(opened.mailer, metrics);
    const runtime = await startDigestRuntime(config, database.url, sendDeps(config, { db: database.db, mailer, emails, log, appSecret }), { worker: true, onOutcome: metrics.digestOutcome });
    // Each worker on a machine needs a port of its own; 0 picks a free one (printed below).
    const metricsServer = metricsPort === undefined ? undefined : await serveMetrics(metrics, { host: config.metrics.host, port: metricsPort, token: config.metrics.token, log });
    console.log(`worker running (concurrency ${config.digest.workerConcurrency}${metricsServer ? `; metrics at ${metricsServer.url}/metrics` : ""}); SIGTERM to stop gracefully`);
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    await metricsServer?.close();
    await runtime.stop();
    mailer.close();
    await database.close();
    return 0;
  },
};
