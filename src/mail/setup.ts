import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { type MailCatcher, startMailCatcher } from "./catcher.ts";
import { createMailer, type Mailer } from "./transport.ts";

/**
 * SMTP_URL's server, or (outside production) the development catcher on loopback DEV_MAIL_PORT. When a running
 * `npm start` already holds that port, CLI commands send into its catcher, so their mail shows at /dev/mail.
 */
export async function openMailer(config: Config, log: Logger): Promise<{ mailer: Mailer; catcher?: MailCatcher }> {
  if (config.smtp.url) return { mailer: createMailer(config, config.smtp.url) };
  if (config.production) throw new Error("SMTP_URL is required in production");
  try {
    const catcher = await startMailCatcher(config.smtp.devMailPort);
    log.info(`SMTP_URL is not set: mail goes to the development catcher (${catcher.url}); read it at ${config.publicBaseUrl}/dev/mail (from this machine only)`);
    return { mailer: createMailer(config, catcher.url), catcher };
  } catch (err) {
    if ((err as { code?: string }).code !== "EADDRINUSE") throw err;
    const url = `smtp://127.0.0.1:${config.smtp.devMailPort}`;
    log.info(`SMTP_URL is not set: sending to the development catcher already running at ${url} (see /dev/mail of the running app)`);
    return { mailer: createMailer(config, url) };
  }
}
