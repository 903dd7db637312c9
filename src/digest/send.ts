// Sends digests, each step safe to repeat: claim (conditional update), render, send, record. Works on a batch of
// digests at once so the database costs a handful of queries per batch, not per email.
// A crash between the SMTP server's OK and the record re-sends that one message after the lease: at most the
// in-flight messages go twice, none is lost. A database outage is waited out (every write goes through the outage
// gate), so the messages in flight are still recorded once PostgreSQL is back.
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client.ts";
import type { OutageGate } from "../db/outage-gate.ts";
import { type Logger, scrubAddresses } from "../log.ts";
import type { EmailTemplates } from "../mail/templates.ts";
import { listHeaders, type Mailer } from "../mail/transport.ts";
import { feedbackUrls, subscriberLinks } from "../subscriptions/links.ts";
import { suppressAddress } from "../subscriptions/suppression.ts";
import { signSubscriberToken } from "../subscriptions/tokens.ts";
import type { FailureReport } from "./failure-report.ts";
import { classifySendFailure, type SendFailure } from "./failures.ts";
import { loadDigestPapers } from "./queries.ts";
import { MAX_RETRY_DELAY_SECONDS } from "./queue.ts";
import { type DigestContent, renderDigest } from "./render.ts";
import { type ClaimedDigest, claimDigests, recordSent } from "./send-queries.ts";
import type { SendPermit, SendThrottle } from "./throttle.ts";

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
  /** Temporary refusals by the reader's own mailbox before the digest is given up. */
  maxAttempts: number;
  /** Any other temporary failure: the digest is given up only this long after it was planned. */
  giveUpHours: number;
  retryDelaySeconds: number;
  now?: () => Date;
  /** Waits out database outages (default: none, errors pass through). */
  gate?: Pick<OutageGate, "run">;
  /** The whole sender's pace (default: no limit beyond the chunk). */
  throttle?: SendThrottle;
  failures?: FailureReport;
}

export type SendOutcome = "sent" | "skipped" | "not-claimed" | "bounced" | "gave-up";

/** A temporary failure: the digest was released and is to be queued again for `retryAt`. */
export interface RetryLater {
  retryAt: Date;
  failure: SendFailure;
}

const direct: Pick<OutageGate, "run"> = { run: (fn) => fn() };

/**
 * Outcome per digest id. Sends go out `chunkSize` at a time, each taking a slot of the throttle first (so a server
 * that refuses narrows every lane), claimed only once their slots are free (a claim is a lease and must not age while
 * waiting). Each accepted message is recorded within milliseconds (coalesced with its neighbours into one UPDATE), so
 * a crash can re-send only about the messages in flight.
 */
export async function sendDigests(deps: SendDeps, digestIds: string[], chunkSize = digestIds.length): Promise<Map<string, SendOutcome | RetryLater>> {
  const outcomes = new Map<string, SendOutcome | RetryLater>(digestIds.map((id) => [id, "not-claimed"]));
  for (let i = 0; i < digestIds.length; ) {
    const want = Math.min(Math.max(1, chunkSize), digestIds.length - i);
    const permits: SendPermit[] = deps.throttle ? await deps.throttle.acquire(want) : Array.from({ length: want }, () => ({ release() {} }));
    const chunk = digestIds.slice(i, i + permits.length);
    i += chunk.length;
    try {
      await sendChunk(deps, chunk, permits, outcomes);
    } finally {
      for (const permit of permits) permit.release("neutral"); // the ones no send used
    }
  }
  return outcomes;
}

async function sendChunk(deps: SendDeps, digestIds: string[], permits: SendPermit[], outcomes: Map<string, SendOutcome | RetryLater>) {
  const { db } = deps;
  const gate = deps.gate ?? direct;
  const now = deps.now?.() ?? new Date();
  const staleBefore = new Date(now.getTime() - deps.leaseSeconds * 1000);
  const claimToken = randomUUID();
  // Claimed with their readers in one statement (send-queries.ts). Due: a few seconds of clock skew between us and
  // the queue's database allowed.
  const digests = await gate.run(() => claimDigests(db, digestIds, { claimToken, now, dueBefore: new Date(now.getTime() + 5_000), staleBefore }));
  if (digests.length === 0) return;
  const papersOf = await gate.run(() => loadDigestPapers(db, digests.map((d) => d.id)));
  // Unsubscribed, paused or bounced since planning: nothing goes out.
  const gone = digests.filter((d) => d.subscriber.status !== "active" || d.subscriber.suppressed);
  if (gone.length) {
    const goneIds = gone.map((d) => d.id);
    // Their papers were never sent: a skipped digest's papers count as not sent (queries.ts loadSentPapers), so a later
    // digest may carry them if the reader comes back.
    await gate.run(() => db.digest.updateMany({ where: { id: { in: goneIds }, status: "sending", claimToken }, data: { status: "skipped", lastError: "subscriber no longer active" } }));
    for (const d of gone) {
      outcomes.set(d.id, "skipped");
      deps.log.info({ digestId: d.id, subscriberId: d.subscriber.id }, "digest skipped: the reader left, paused or was suppressed after planning");
    }
  }

  const recorder = sentRecorder(db, gate, claimToken, deps.now ?? (() => new Date()), (id) => digestMessageId(deps, id));
  const queue = digests.filter((d) => !gone.includes(d));
  const sendOne = async (digest: (typeof queue)[number], permit: SendPermit) => {
    // Rendered and handed to the mailer in one synchronous step: this frame keeps only the subject while the send is
    // under way (holding each ~40 KiB body for the send's duration promoted every one of them to the old heap).
    // A render that throws is a bug, not a send failure: it fails the job (as before), outside the try.
    const { subject, sent } = renderAndSend(deps, digest, papersOf.get(digest.id) ?? []);
    try {
      await sent;
    } catch (err) {
      const failure = classifySendFailure(err);
      // Only what concerns the whole server slows the whole sender down.
      permit.release(failure.scope === "server" || failure.scope === "sender" ? "refused" : "neutral");
      outcomes.set(digest.id, await recordFailure(deps, gate, digest, claimToken, failure));
      return;
    }
    permit.release("success");
    outcomes.set(digest.id, "sent");
    // One line per email only at debug level (a day's sends would flood info); the per-process and cluster-wide
    // counters (README "Metrics") carry the totals.
    deps.log.debug({ digestId: digest.id, subscriberId: digest.subscriber.id, papers: papersOf.get(digest.id)?.length ?? 0, attempt: digest.attempts }, "digest sent");
    // Outside the try: a failed record must not look like a failed send (that would send it again).
    await recorder.add(digest.id, subject);
  };
  // The chunk is the concurrency: all of it goes out at once (the SMTP pool queues beyond its connections), one email
  // per turn of the event loop: each render and quoted-printable encoding takes ~0.35 ms, and a whole chunk at once
  // held back the SMTP server's answers and their records for ~20 ms, so a crash re-sent more of the accepted emails.
  const sends: Promise<void>[] = [];
  for (let i = 0; i < queue.length; i++) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const sent = sendOne(queue[i]!, permits[i]!);
    sent.catch(() => {}); // handled by Promise.all below, not reported as unhandled while the loop turns
    sends.push(sent);
  }
  await Promise.all(sends);
  await recorder.flush();
}

/** Renders one digest and hands it to the mailer; returns the subject and the send under way. */
function renderAndSend(deps: SendDeps, digest: ClaimedDigest, papers: DigestContent["papers"]): { subject: string; sent: Promise<unknown> } {
  const links = subscriberLinks({ publicBaseUrl: deps.publicBaseUrl, appSecret: deps.appSecret }, digest.subscriber.id);
  const rendered = renderDigest(
    deps.emails,
    {
      localDate: digest.localDate,
      email: digest.subscriber.email,
      confirmedAt: digest.subscriber.confirmedAt,
      interests: { topics: digest.subscriber.topics, keywords: digest.subscriber.keywords },
      papers,
    },
    {
      baseUrl: deps.publicBaseUrl,
      viewInBrowserUrl: digestPageUrl(deps, digest.id),
      ...links,
      postalAddress: deps.postalAddress,
      feedbackUrl: feedbackUrls(deps, digest.subscriber.id),
    },
  );
  let sent: Promise<unknown>;
  try {
    sent = deps.mailer.send({
      to: digest.subscriber.email,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      messageId: digestMessageId(deps, digest.id),
      headers: listHeaders({ unsubscribeUrl: links.unsubscribeUrl, listId: deps.listId }),
    });
  } catch (err) {
    sent = Promise.reject(err); // a mailer that throws at once fails like one that rejects
  }
  return { subject: rendered.subject, sent };
}

/** Records sent digests, coalescing the ones that finish within a few milliseconds into one statement. */
function sentRecorder(db: Db, gate: Pick<OutageGate, "run">, claimToken: string, now: () => Date, messageId: (id: string) => string) {
  let pending: { id: string; subject: string }[] = [];
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    await flushing;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    flushing = gate.run(() => recordSent(db, batch.map((s) => ({ ...s, messageId: messageId(s.id) })), claimToken, now()));
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

async function recordFailure(
  deps: SendDeps,
  gate: Pick<OutageGate, "run">,
  digest: { id: string; attempts: number; recipientRefusals: number; plannedAt: Date; subscriber: { id: string; email: string } },
  claimToken: string,
  failure: SendFailure,
): Promise<SendOutcome | RetryLater> {
  const { db, log } = deps;
  const mine = { id: digest.id, status: "sending" as const, claimToken };
  const ids = { digestId: digest.id, subscriberId: digest.subscriber.id };
  const smtp = scrubAddresses(failure.message);
  if (failure.scope === "recipient-permanent") {
    // Permanent, and about this address: it does not accept mail. Never retried; nothing goes there again.
    await gate.run(() =>
      db.$transaction(async (tx) => {
        await tx.digest.updateMany({ where: mine, data: { status: "failed", lastError: failure.message } });
        await suppressAddress(tx, digest.subscriber.email, "bounced", failure.message);
      }),
    );
    log.warn({ ...ids, smtp }, "recipient rejected: address suppressed");
    return "bounced";
  }

  deps.failures?.failure(failure, ids);
  const now = deps.now?.() ?? new Date();
  const recipientRefusals = digest.recipientRefusals + (failure.scope === "recipient-temporary" ? 1 : 0);
  const windowMs = deps.giveUpHours * 3600_000;
  let giveUp: string | undefined;
  if (failure.scope === "recipient-temporary" && recipientRefusals >= deps.maxAttempts) giveUp = `gave up after ${recipientRefusals} temporary refusals of the mailbox: ${failure.message}`;
  else if (now.getTime() - digest.plannedAt.getTime() >= windowMs) giveUp = `not delivered within ${deps.giveUpHours} h of planning (${digest.attempts} attempts): ${failure.message}`;
  if (giveUp) {
    const lastError = giveUp.slice(0, 1000);
    // Never delivered: a failed digest's papers count as not sent, so they may go in a later digest.
    await gate.run(() => db.digest.updateMany({ where: mine, data: { status: "failed", lastError, recipientRefusals } }));
    log.error({ ...ids, attempts: digest.attempts, smtp }, `gave up on a digest: ${scrubAddresses(giveUp.split(":")[0]!)}`);
    return "gave-up";
  }

  // Server-wide failures are paced by the throttle; the digest itself just comes back after the base delay. The
  // reader's own mailbox, and settings of ours the server refuses, back off exponentially per digest.
  const base = deps.retryDelaySeconds;
  const delaySeconds =
    failure.scope === "server"
      ? base
      : Math.min(MAX_RETRY_DELAY_SECONDS, base * 2 ** Math.max(0, (failure.scope === "recipient-temporary" ? recipientRefusals : digest.attempts) - 1));
  const retryAt = new Date(now.getTime() + delaySeconds * 1000);
  // Release the claim so the retry can take it.
  await gate.run(() => db.digest.updateMany({ where: mine, data: { status: "planned", claimedAt: null, claimToken: null, lastError: failure.message, retryAt, recipientRefusals } }));
  if (failure.scope === "sender") {
    const what = failure.failureClass === "5xx" ? "SMTP server refused our login, sender or message (check SMTP_URL and MAIL_FROM)" : "could not hand the message to the SMTP server";
    log.error({ ...ids, smtp }, `${what}; retrying`);
  } else {
    // One line per failure only at debug level: a refusal storm would flood warn; the failure report (one warning
    // when failures start, a summary per minute, one line when they stop) is what operators see.
    log.debug({ ...ids, attempts: digest.attempts, failureClass: failure.failureClass, smtp }, "temporary send failure; retrying");
  }
  return { retryAt, failure };
}

const hostnames = new Map<string, string>();

function digestMessageId(deps: Pick<SendDeps, "publicBaseUrl">, digestId: string) {
  // One Message-ID per digest: a re-send after a crash is recognisable as the same message.
  let host = hostnames.get(deps.publicBaseUrl);
  if (host === undefined) hostnames.set(deps.publicBaseUrl, (host = new URL(deps.publicBaseUrl).hostname));
  return `<digest-${digestId}@${host}>`;
}

export function digestPageUrl(deps: Pick<SendDeps, "publicBaseUrl" | "appSecret">, digestId: string): string {
  return `${deps.publicBaseUrl}/digests/${signSubscriberToken(deps.appSecret, digestId, "digest")}`;
}
