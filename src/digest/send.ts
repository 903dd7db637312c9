// Sends digests, each step safe to repeat: claim (conditional update), render, send, record. Works on a batch of
// digests at once so the database costs a handful of queries per batch, not per email.
// A crash between the SMTP server's OK and the record re-sends that one message after the lease: at most the
// in-flight messages go twice, none is lost.
import type { Db } from "../db/client.ts";
import { type Logger, scrubAddresses } from "../log.ts";
import type { EmailTemplates } from "../mail/templates.ts";
import { listHeaders, type Mailer } from "../mail/transport.ts";
import { feedbackUrl, subscriberLinks } from "../subscriptions/links.ts";
import { suppressAddress } from "../subscriptions/suppression.ts";
import { signSubscriberToken } from "../subscriptions/tokens.ts";
import { loadDigestPapers } from "./queries.ts";
import { renderDigest } from "./render.ts";

export interface SendDeps {
  db: Db;
  mailer: Mailer;
  emails: EmailTemplates;
  log: Logger;
  publicBaseUrl: string;
  appSecret: string;
  postalAddress: string;
  listId: string;
  leaseSeconds: number;
  maxAttempts: number;
  now?: () => Date;
}

export type SendOutcome = "sent" | "skipped" | "not-claimed" | "bounced" | "gave-up";

/** A temporary failure: the caller retries later with backoff. */
export class TransientSendError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

/**
 * Outcome per digest id: a SendOutcome, or a TransientSendError for the ones to retry. At most `concurrency`
 * messages are at the SMTP server at once, and each accepted message is recorded within milliseconds (coalesced
 * with its neighbours into one UPDATE), so a crash can re-send only about `concurrency` messages.
 */
export async function sendDigests(deps: SendDeps, digestIds: string[], concurrency = digestIds.length): Promise<Map<string, SendOutcome | TransientSendError>> {
  const outcomes = new Map<string, SendOutcome | TransientSendError>(digestIds.map((id) => [id, "not-claimed"]));
  // Claim only as many as go out at once: a claim is a lease, and digests waiting behind slow sends must not age
  // out of it while their worker is alive.
  const chunk = Math.max(1, concurrency);
  for (let i = 0; i < digestIds.length; i += chunk) await sendChunk(deps, digestIds.slice(i, i + chunk), outcomes);
  return outcomes;
}

async function sendChunk(deps: SendDeps, digestIds: string[], outcomes: Map<string, SendOutcome | TransientSendError>) {
  const { db } = deps;
  const now = deps.now?.() ?? new Date();
  const staleBefore = new Date(now.getTime() - deps.leaseSeconds * 1000);
  // Claim: only planned digests, or ones whose worker's lease ran out (killed mid-send).
  const claimed = await db.digest.updateManyAndReturn({
    where: { id: { in: digestIds }, OR: [{ status: "planned" }, { status: "sending", claimedAt: { lt: staleBefore } }] },
    data: { status: "sending", claimedAt: now, attempts: { increment: 1 } },
    select: { id: true },
  });
  if (claimed.length === 0) return;

  const digests = await db.digest.findMany({
    where: { id: { in: claimed.map((d) => d.id) } },
    include: { subscriber: { select: { id: true, email: true, status: true, confirmedAt: true } } },
  });
  const papersOf = await loadDigestPapers(db, digests.map((d) => d.id));
  const suppressed = new Set(
    (await db.suppression.findMany({ where: { email: { in: digests.map((d) => d.subscriber.email) } }, select: { email: true } })).map((s) => s.email),
  );
  // Unsubscribed, paused or bounced since planning: nothing goes out.
  const gone = digests.filter((d) => d.subscriber.status !== "active" || suppressed.has(d.subscriber.email));
  if (gone.length) {
    await db.digest.updateMany({ where: { id: { in: gone.map((d) => d.id) }, status: "sending", claimedAt: now }, data: { status: "skipped", lastError: "subscriber no longer active" } });
    // Their papers were never sent: free them for a later digest if the reader comes back.
    await db.digestItem.deleteMany({ where: { digestId: { in: gone.map((d) => d.id) } } });
    for (const d of gone) {
      outcomes.set(d.id, "skipped");
      deps.log.info({ digestId: d.id, subscriberId: d.subscriber.id }, "digest skipped: the reader left, paused or was suppressed after planning");
    }
  }

  const recorder = sentRecorder(db, now, deps.now ?? (() => new Date()), (id) => digestMessageId(deps, id));
  const queue = digests.filter((d) => !gone.includes(d));
  const sendOne = async (digest: (typeof queue)[number]) => {
    const links = subscriberLinks({ publicBaseUrl: deps.publicBaseUrl, appSecret: deps.appSecret }, digest.subscriber.id);
    const rendered = renderDigest(
      deps.emails,
      {
        localDate: digest.localDate,
        email: digest.subscriber.email,
        confirmedAt: digest.subscriber.confirmedAt,
        papers: papersOf.get(digest.id) ?? [],
      },
      {
        baseUrl: deps.publicBaseUrl,
        viewInBrowserUrl: digestPageUrl(deps, digest.id),
        ...links,
        postalAddress: deps.postalAddress,
        feedbackUrl: (paperId, verdict) => feedbackUrl(deps, digest.subscriber.id, paperId, verdict),
      },
    );
    try {
      await deps.mailer.send({
        to: digest.subscriber.email,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        messageId: digestMessageId(deps, digest.id),
        headers: listHeaders({ unsubscribeUrl: links.unsubscribeUrl, listId: deps.listId }),
      });
    } catch (err) {
      outcomes.set(digest.id, await handleSendError(deps, digest, now, err));
      return;
    }
    outcomes.set(digest.id, "sent");
    // One line per email only at debug level (a day's sends would flood info); the per-process and cluster-wide
    // counters (README "Metrics") carry the totals.
    deps.log.debug({ digestId: digest.id, subscriberId: digest.subscriber.id, papers: papersOf.get(digest.id)?.length ?? 0, attempt: digest.attempts }, "digest sent");
    // Outside the try: a failed record must not look like a failed send (that would send it again).
    await recorder.add(digest.id, rendered.subject);
  };
  // The chunk is the concurrency: all of it goes out at once (the SMTP pool queues beyond its connections).
  await Promise.all(queue.map(sendOne));
  await recorder.flush();
}

/** Records sent digests, coalescing the ones that finish within a few milliseconds into one statement. */
function sentRecorder(db: Db, claimedAt: Date, now: () => Date, messageId: (id: string) => string) {
  let pending: { id: string; subject: string }[] = [];
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    await flushing;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    flushing = recordSent(db, batch, claimedAt, now(), messageId);
    await flushing;
  };
  return {
    async add(id: string, subject: string) {
      pending.push({ id, subject });
      // Let neighbours finishing in the same moment join this statement.
      await new Promise((r) => setTimeout(r, 2));
      await flush();
    },
    flush,
  };
}

async function recordSent(db: Db, sent: { id: string; subject: string }[], claimedAt: Date, at: Date, messageId: (id: string) => string) {
  // Raw SQL: one statement for the whole batch, each row with its own subject and Message-ID. Only rows this claim
  // still owns are written.
  await db.$executeRaw`
    UPDATE digests d SET status = 'sent', sent_at = ${at}, updated_at = ${at}, last_error = NULL, subject = v.subject, message_id = v.message_id
    FROM unnest(${sent.map((s) => s.id)}::uuid[], ${sent.map((s) => s.subject)}::text[], ${sent.map((s) => messageId(s.id))}::text[]) AS v(id, subject, message_id)
    WHERE d.id = v.id AND d.status = 'sending' AND d.claimed_at = ${claimedAt}`;
}

async function handleSendError(
  deps: SendDeps,
  digest: { id: string; attempts: number; subscriber: { id: string; email: string } },
  claimedAt: Date,
  err: unknown,
): Promise<SendOutcome | TransientSendError> {
  const { responseCode: code, command } = err as { responseCode?: number; command?: string };
  const message = `${code ? `${code} ` : ""}${(err as Error).message ?? String(err)}`.slice(0, 500);
  const mine = { id: digest.id, status: "sending" as const, claimedAt };
  if (code !== undefined && code >= 500 && code < 600 && command === "RCPT TO") {
    // Permanent, and about this address: it does not accept mail. Never retried; nothing goes there again.
    await deps.db.$transaction(async (tx) => {
      await tx.digest.updateMany({ where: mine, data: { status: "failed", lastError: message } });
      await suppressAddress(tx, digest.subscriber.email, "bounced", message);
    });
    deps.log.warn({ digestId: digest.id, subscriberId: digest.subscriber.id, smtp: scrubAddresses(message) }, "recipient rejected: address suppressed");
    return "bounced";
  }
  // Everything else (4xx, timeouts, lost connections, and 5xx about our login, sender or message) is not the
  // reader's fault: retry with backoff, so a broken SMTP setting delays mail instead of suppressing everyone.
  if (digest.attempts >= deps.maxAttempts) {
    await deps.db.digest.updateMany({ where: mine, data: { status: "failed", lastError: `gave up after ${digest.attempts} attempts: ${message}` } });
    // Never delivered: its papers may go in a later digest.
    await deps.db.digestItem.deleteMany({ where: { digestId: digest.id } });
    deps.log.error({ digestId: digest.id, subscriberId: digest.subscriber.id, attempts: digest.attempts, smtp: scrubAddresses(message) }, "gave up on a digest");
    return "gave-up";
  }
  // Release the claim so the retry can take it.
  await deps.db.digest.updateMany({ where: mine, data: { status: "planned", claimedAt: null, lastError: message } });
  if (code !== undefined && code >= 500) {
    deps.log.error({ digestId: digest.id, subscriberId: digest.subscriber.id, smtp: scrubAddresses(message) }, "SMTP server refused our login, sender or message (check SMTP_URL and MAIL_FROM); retrying");
  } else {
    deps.log.warn({ digestId: digest.id, subscriberId: digest.subscriber.id, attempts: digest.attempts, smtp: scrubAddresses(message) }, "temporary send failure; retrying with backoff");
  }
  return new TransientSendError(message, digest.attempts);
}

function digestMessageId(deps: Pick<SendDeps, "publicBaseUrl">, digestId: string) {
  // One Message-ID per digest: a re-send after a crash is recognisable as the same message.
  return `<digest-${digestId}@${new URL(deps.publicBaseUrl).hostname}>`;
}

export function digestPageUrl(deps: Pick<SendDeps, "publicBaseUrl" | "appSecret">, digestId: string): string {
  return `${deps.publicBaseUrl}/digests/${signSubscriberToken(deps.appSecret, digestId, "digest")}`;
}
