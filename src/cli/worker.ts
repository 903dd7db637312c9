import { openDatabase } from "../db/database.ts";
import { sendDeps, startDigestRuntime } from "../digest/runtime.ts";
import { openMailer } from "../mail/setup.ts";
import { loadEmailTemplates } from "../mail/templates.ts";
import { resolveAppSecret } from "../secret.ts";
import type { Command } from "./command.ts";

export const workerCommand: Command = {
  summary: "Run only a send worker (no web server, no scheduler): add these on other machines to send faster.",
  async run({ config, log }) {
    const appSecret = resolveAppSecret(config, log);
    const emails = await loadEmailTemplates();
    const database = await openDatabase(config, log);
    const { mailer } = await openMailer(config, log);
    const runtime = await startDigestRuntime(config, database.url, sendDeps(config, { db: database.db, mailer, emails, log, appSecret }), { worker: true });
    console.log(`worker running (concurrency ${config.digest.workerConcurrency}); SIGTERM to stop gracefully`);
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    await runtime.stop();
    mailer.close();
    await database.close();
    return 0;
  },
};
