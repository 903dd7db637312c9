// Every email through the one transport is timed and every failure counted by class, without touching the code that
// sends: the Mailer is wrapped where a process opens it.
import { classifySendFailure } from "../digest/failures.ts";
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

/**
 * Nodemailer's error, in the classes an operator acts on differently (see the README's metrics table): the send path's
 * own decision (digest/failures.ts), so that a failure the sender treats as the server's is counted as the server's.
 */
export function smtpErrorClass(err: unknown): SmtpErrorClass {
  if ((err as { code?: unknown } | null)?.code === "EAUTH") return "auth";
  const { scope, failureClass } = classifySendFailure(err);
  switch (failureClass) {
    case "5xx":
      return scope === "recipient-permanent" ? "recipient_rejected" : "rejected";
    case "4xx":
      return "temporary";
    default:
      return failureClass;
  }
}
