// What a failed SMTP send means for the digest, decided from Nodemailer's error alone (pure). The scope says who
// the failure is about, and so what happens next; the class is what operators see counted in the logs.
//   recipient-permanent  5xx to RCPT TO: the address does not take mail. Bounce, suppress, never retry.
//   recipient-temporary  4xx (not 421) to RCPT TO: this mailbox is busy, full or greylisting. Per-digest backoff,
//                        given up after DIGEST_MAX_ATTEMPTS such refusals.
//   server               421 anywhere, any other 4xx, refused or lost connections, timeouts: the server, not the
//                        reader. The whole sender slows down; the digest waits, given up only after
//                        DIGEST_GIVE_UP_HOURS.
//   sender               5xx about our login, sender or message (or a local error before any answer): a setting to
//                        fix. Logged loudly, retried with backoff until DIGEST_GIVE_UP_HOURS; nobody is suppressed.

export type FailureScope = "recipient-permanent" | "recipient-temporary" | "server" | "sender";
export type FailureClass = "4xx" | "5xx" | "connection" | "timeout" | "other";
export const FAILURE_CLASSES: readonly FailureClass[] = ["4xx", "5xx", "connection", "timeout", "other"];

export interface SendFailure {
  scope: FailureScope;
  failureClass: FailureClass;
  /** SMTP reply code, when the server answered. */
  code?: number;
  /** One line for digests.last_error (may quote the recipient: scrub it before logging). */
  message: string;
}

const CONNECTION_CODES = new Set(["ECONNECTION", "ESOCKET", "EDNS", "ETLS", "EPROTOCOL", "ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

export function classifySendFailure(err: unknown): SendFailure {
  const e = (err ?? {}) as { responseCode?: unknown; command?: unknown; code?: unknown; originalCode?: unknown; message?: unknown };
  const code = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const text = typeof e.message === "string" ? e.message : String(err);
  const message = `${code !== undefined && !text.includes(String(code)) ? `${code} ` : ""}${text}`.replace(/\s+/g, " ").trim().slice(0, 500);
  const onRecipient = e.command === "RCPT TO";

  if (code !== undefined && code >= 500 && code < 600) return { scope: onRecipient ? "recipient-permanent" : "sender", failureClass: "5xx", code, message };
  if (code !== undefined && code >= 400 && code < 500) {
    // 421 means "service not available, closing the channel" wherever it comes: the server, not the mailbox.
    return { scope: onRecipient && code !== 421 ? "recipient-temporary" : "server", failureClass: "4xx", code, message };
  }
  const errno = [e.code, e.originalCode].filter((c): c is string => typeof c === "string");
  if (errno.includes("ETIMEDOUT") || /timeout|timed out/i.test(text)) return { scope: "server", failureClass: "timeout", message };
  if (errno.some((c) => CONNECTION_CODES.has(c)) || /connection|socket|greeting/i.test(text)) return { scope: "server", failureClass: "connection", message };
  // No answer from the server and no network trouble: something on our side (credentials, message, envelope).
  return { scope: "sender", failureClass: "other", message };
}
