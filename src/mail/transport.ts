// The one Nodemailer transport: pooled SMTP to SMTP_URL, or to the development mail catcher.
import type { Config } from "../config.ts";
import { startMailThread } from "./mail-thread.ts";

// Nodemailer's default DKIM header list leaves List-Unsubscribe-Post out; RFC 8058 requires both signed.
export const DKIM_SIGNED_HEADERS =
  "From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:" +
  "Content-ID:Content-Description:In-Reply-To:References:List-Id:List-Help:List-Unsubscribe:List-Unsubscribe-Post:" +
  "List-Subscribe:List-Post:List-Owner:List-Archive";

export interface OutgoingMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  /** Our own Message-ID, so a retried send can be recognised. */
  messageId?: string;
}

export interface SentMessage {
  messageId: string;
  response: string;
}

export interface Mailer {
  send(message: OutgoingMessage): Promise<SentMessage>;
  close(): void;
}

export function createMailer(config: Config, smtpUrl: string): Mailer {
  // On a thread of its own (mail-thread.ts): the sender's work and Nodemailer's run side by side.
  const transport = startMailThread({
    url: smtpUrl,
    pool: true,
    maxConnections: config.smtp.poolSize,
    maxMessages: 1000,
    ...(config.smtp.ratePerSecond > 0 ? { rateDelta: 1000, rateLimit: config.smtp.ratePerSecond } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    dkim: config.mail.dkim ? { ...config.mail.dkim, headerFieldNames: DKIM_SIGNED_HEADERS } : undefined,
  });
  return {
    send: (message) => transport.send({ from: config.mail.from, ...message }),
    close: () => transport.close(),
  };
}

/** RFC 2369 / RFC 8058 list headers for bulk mail: one-click unsubscribe over HTTPS POST. */
export function listHeaders(opts: { unsubscribeUrl: string; listId: string }): Record<string, string> {
  return {
    "List-Unsubscribe": `<${opts.unsubscribeUrl}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "List-Id": opts.listId,
  };
}
