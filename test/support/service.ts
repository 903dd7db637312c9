// Starts the real application on a free loopback port, with its own database and an SMTP sink.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { loadConfig, type Config } from "../../src/config.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { type MailCatcher, startMailCatcher } from "../../src/mail/catcher.ts";
import { loadEmailTemplates } from "../../src/mail/templates.ts";
import { createMailer } from "../../src/mail/transport.ts";
import { measureMailer } from "../../src/metrics/mailer.ts";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.ts";
import { buildApp } from "../../src/service.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { startSmtpSink, type SmtpSink } from "./smtp-sink.ts";

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnop";

export interface TestService {
  baseUrl: string;
  config: Config;
  database: TestDatabase;
  sink: SmtpSink;
  /** Only with `devMail`: the development catcher behind /dev/mail, which then receives the mail instead of the sink. */
  catcher?: MailCatcher;
  clock: { now: Date };
  /** Only with `metrics`: the app's Prometheus metrics (their clock is `clock`). */
  metrics?: Metrics;
  close(): Promise<void>;
}

export async function startTestService(env: Record<string, string> = {}, opts: { devMail?: boolean; log?: Logger; database?: TestDatabase; metrics?: boolean } = {}): Promise<TestService> {
  const database = opts.database ?? (await createTestDatabase());
  await syncTopics(database.db);
  const sink = await startSmtpSink();
  const clock = { now: new Date() };
  let server: Server | undefined;
  // The per-IP limit is high by default (all test requests come from one address); tests of the limit lower it.
  const baseConfig = { NODE_ENV: "test", APP_SECRET: TEST_SECRET, SMTP_URL: sink.url, LOG_LEVEL: "silent", SUBSCRIBE_LIMIT_PER_IP: "100000", ...env };
  // Bind first to learn the port, so PUBLIC_BASE_URL in emails points at this server.
  const { default: express } = await import("express");
  const placeholder = express();
  server = await new Promise<Server>((resolve) => {
    const s = placeholder.listen(0, "127.0.0.1", () => resolve(s));
  });
  // Longer than any pause between a test's requests on a loaded machine: a keep-alive connection the server closes
  // just as the client reuses it is an ECONNRESET that has nothing to do with the app.
  server.keepAliveTimeout = 60_000;
  const port = (server.address() as AddressInfo).port;
  const config = loadConfig({ PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, ...baseConfig });
  const catcher = opts.devMail ? await startMailCatcher() : undefined;
  const metrics = opts.metrics ? createMetrics({ db: database.db, now: () => clock.now, processMetrics: false }) : undefined;
  const plainMailer = createMailer(config, catcher?.url ?? sink.url);
  const mailer = metrics ? measureMailer(plainMailer, metrics) : plainMailer;
  const app = buildApp({
    config,
    db: database.db,
    log: opts.log ?? createLogger(config.logLevel),
    mailer,
    emails: await loadEmailTemplates(),
    appSecret: TEST_SECRET,
    catcher,
    now: () => clock.now,
    metrics,
  });
  server.removeAllListeners("request");
  server.on("request", app);
  // fetch (undici) reuses an idle keep-alive socket until shortly before the server's timeout; a test that blocks
  // its event loop for seconds (generating 10,000 fuzz requests) could send on a socket the server is closing at that
  // very moment ("fetch failed"). A long server-side timeout leaves the closing to the client.
  server.keepAliveTimeout = 120_000;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    database,
    sink,
    catcher,
    clock,
    metrics,
    close: async () => {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      mailer.close();
      await sink.stop();
      await catcher?.stop();
      if (!opts.database) await database.drop();
    },
  };
}
