// Every email through the one transport is timed and every failure counted by class, without touching the code that
// sends: the Mailer is wrapped where a process opens it.
import type { Mailer } from "../mail/transport.ts";
import { type Metrics, type SmtpErrorClass } from "./metrics.ts";

export function measureMailer(mailer: Mailer, metrics: Pick<Metrics, "emailSendDuration" | "smtpErrors">): Mailer {
  return {
    async send(message) {
      const stop = metrics.emailSendDuration.startTimer();
      try {
        const sent = await mailer.send(message);
        // Digests carry a Message-ID of their own (<digest-…@host>); everything else is transactional mail.
        stop({ kind: message.messageId?.startsWith("<digest-") ? "digest" : "transactional" });
        return sent;
      } catch (err) {
        metrics.smtpErrors.inc({ class: smtpErrorClass(err) });
        throw err;
      }
    },
    close: () => mailer.close(),
  };
}

const CONNECTION_CODES = new Set(["ECONNECTION", "ESOCKET", "ECONNREFUSED", "ECONNRESET", "EPIPE", "EDNS", "ENOTFOUND", "EAI_AGAIN", "ETLS", "EHOSTUNREACH", "ENETUNREACH"]);

/** Nodemailer's error, in the classes an operator acts on differently (see the README's metrics table). */
export function smtpErrorClass(err: unknown): SmtpErrorClass {
  const { responseCode, command, code, message } = (err ?? {}) as { responseCode?: number; command?: string; code?: string; message?: string };
  if (code === "EAUTH") return "auth";
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600) return command === "RCPT TO" ? "recipient_rejected" : "rejected";
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return "temporary";
  if (code === "ETIMEDOUT" || /timeout|timed out/i.test(message ?? "")) return "timeout";
  if (code !== undefined && CONNECTION_CODES.has(code)) return "connection";
  return "other";
}
