// Sends one digest, each step safe to repeat: claim (conditional update), render, send, record.
// A crash between the SMTP server's OK and the record re-sends that one message after the lease: at most the
// in-flight messages go twice, none is lost.
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { EmailTemplates } from "../mail/templates.ts";
import { listHeaders, type Mailer } from "../mail/transport.ts";
import { subscriberLinks } from "../subscriptions/links.ts";
import { suppressAddress } from "../subscriptions/suppression.ts";
import { signSubscriberToken } from "../subscriptions/tokens.ts";
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
export class TransientSendError extends Error {}

export async function sendDigest(deps: SendDeps, digestId: string): Promise<SendOutcome> {
  const { db } = deps;
  const now = deps.now?.() ?? new Date();
  const staleBefore = new Date(now.getTime() - deps.leaseSeconds * 1000);
  // Claim: only a planned digest, or one whose worker's lease ran out (killed mid-send).
  const claimed = await db.digest.updateMany({
    where: { id: digestId, OR: [{ status: "planned" }, { status: "sending", claimedAt: { lt: staleBefore } }] },
    data: { status: "sending", claimedAt: now, attempts: { increment: 1 } },
  });
  if (claimed.count === 0) return "not-claimed";

  const digest = await db.digest.findUniqueOrThrow({
    where: { id: digestId },
    include: {
      subscriber: { select: { id: true, email: true, status: true, confirmedAt: true } },
      items: { orderBy: { position: "asc" }, include: { paper: { select: { id: true, displayTitle: true, abstract: true, codeUrl: true } } } },
    },
  });
  const suppressed = (await db.suppression.count({ where: { email: digest.subscriber.email } })) > 0;
  // Unsubscribed, paused or bounced since planning: nothing goes out.
  if (digest.subscriber.status !== "active" || suppressed) {
    await db.digest.update({ where: { id: digestId }, data: { status: "skipped", lastError: `subscriber is ${suppressed ? "suppressed" : digest.subscriber.status}` } });
    return "skipped";
  }

  const links = subscriberLinks({ publicBaseUrl: deps.publicBaseUrl, appSecret: deps.appSecret }, digest.subscriber.id);
  const rendered = renderDigest(
    deps.emails,
    {
      localDate: digest.localDate,
      email: digest.subscriber.email,
      confirmedAt: digest.subscriber.confirmedAt,
      papers: digest.items.map((i) => ({ ...i.paper, matchedTopics: i.matchedTopics, matchedKeywords: i.matchedKeywords })),
    },
    {
      baseUrl: deps.publicBaseUrl,
      viewInBrowserUrl: digestPageUrl(deps, digestId),
      ...links,
      postalAddress: deps.postalAddress,
    },
  );
  // One Message-ID per digest: a re-send after a crash is recognisable as the same message.
  const messageId = `<digest-${digestId}@${new URL(deps.publicBaseUrl).hostname}>`;
  try {
    await deps.mailer.send({
      to: digest.subscriber.email,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      messageId,
      headers: listHeaders({ unsubscribeUrl: links.unsubscribeUrl, listId: deps.listId }),
    });
  } catch (err) {
    return handleSendError(deps, digest, err);
  }
  await db.digest.updateMany({
    where: { id: digestId, status: "sending" },
    data: { status: "sent", sentAt: deps.now?.() ?? new Date(), messageId, subject: rendered.subject, lastError: null },
  });
  return "sent";
}

async function handleSendError(deps: SendDeps, digest: { id: string; attempts: number; subscriber: { email: string } }, err: unknown): Promise<SendOutcome> {
  const code = (err as { responseCode?: number }).responseCode;
  const message = `${code ? `${code} ` : ""}${(err as Error).message ?? String(err)}`.slice(0, 500);
  if (code !== undefined && code >= 500 && code < 600) {
    // Permanent: the address does not accept mail. Never retried; no email of any kind goes there again.
    await deps.db.$transaction(async (tx) => {
      await tx.digest.update({ where: { id: digest.id }, data: { status: "failed", lastError: message } });
      await suppressAddress(tx, digest.subscriber.email, "bounced", message);
    });
    deps.log.warn(`digest ${digest.id}: permanent failure, address suppressed: ${message}`);
    return "bounced";
  }
  if (digest.attempts >= deps.maxAttempts) {
    await deps.db.digest.update({ where: { id: digest.id }, data: { status: "failed", lastError: `gave up after ${digest.attempts} attempts: ${message}` } });
    deps.log.error(`digest ${digest.id}: gave up after ${digest.attempts} attempts: ${message}`);
    return "gave-up";
  }
  // Temporary (4xx, timeout, connection lost): release the claim so a retry can take it.
  await deps.db.digest.update({ where: { id: digest.id }, data: { status: "planned", claimedAt: null, lastError: message } });
  throw new TransientSendError(message);
}

export function digestPageUrl(deps: Pick<SendDeps, "publicBaseUrl" | "appSecret">, digestId: string): string {
  return `${deps.publicBaseUrl}/digests/${signSubscriberToken(deps.appSecret, digestId, "digest")}`;
}
