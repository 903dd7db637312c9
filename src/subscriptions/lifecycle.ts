// Subscribe, confirm, manage, unsubscribe, delete. Everything a reader does outside the daily email.
import { type Db, inTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { CONFIRMATION_TTL_HOURS, type SubscriptionDeps } from "./deps.ts";
import { invalidFields, type PreferencesInput, type SubscriptionInput } from "./input.ts";
import type { OptInEmail } from "./emails.ts";
import { deliverOptInEmail } from "./outbox.ts";
import { checkSubscriberToken, hashConfirmationToken, isCanonicalBase64url, LINK_LIFETIME_DAYS, newConfirmationToken, type LinkPurpose, unusableTokenHash } from "./tokens.ts";
import { canonicalMailbox } from "./mailbox.ts";
import { mailboxLock, readSubscribeState, saveManageLinkRow, savePendingSubscription } from "./queries.ts";
import { isSuppressed } from "./suppression.ts";

export { CONFIRMATION_TTL_HOURS, type SubscriptionDeps };

/**
 * Handles a subscribe request. The caller always answers the same way ("pending"), whatever the address's state,
 * so nobody can learn who is subscribed; the email that goes out (if any) differs, and only the owner sees it.
 * The database work here is similar for every state. It returns the email to send, which the caller sends after
 * answering, so the time to answer does not depend on whether (and which) email goes out.
 */
export async function subscribe(deps: SubscriptionDeps, input: SubscriptionInput, ip: string | undefined): Promise<() => Promise<void>> {
  const { db } = deps;
  const now = deps.now?.() ?? new Date();
  const topics = await chosenTopics(db, input.topics);
  await assertKeywordsSearchable(db, input.keywords);
  const dayAgo = new Date(now.getTime() - 24 * 3600_000);

  const mailbox = canonicalMailbox(input.email);

  // The mailbox is locked: concurrent requests for any spelling of one address see each other's rows, so the cap holds.
  const email = await inTransaction(db, async (tx): Promise<OptInEmail | undefined> => {
    const state = await readSubscribeState(tx, input.email, mailbox, dayAgo);
    if (state.suppressed || state.emailsToday >= deps.confirmationEmailsPerDay || state.status === "bounced") return undefined;

    if (state.subscriberId && (state.status === "active" || state.status === "paused")) {
      // Someone may be typing another person's address: change nothing, tell the owner.
      const rowId = await saveManageLinkRow(tx, state.subscriberId, unusableTokenHash(), now);
      return { kind: "manage", rowId, to: input.email, subscriberId: state.subscriberId };
    }
    const { token, hash, salt } = newConfirmationToken(deps.links.appSecret);
    const saved = await savePendingSubscription(tx, state.subscriberId, {
      email: input.email,
      mailbox,
      timezone: input.timezone,
      sendHour: input.sendHour,
      maxPapers: input.maxPapers,
      keywords: input.keywords,
      topicIds: topics.map((t) => t.id),
      ip: ip ?? null,
      tokenHash: hash,
      salt,
      expiresAt: new Date(now.getTime() + CONFIRMATION_TTL_HOURS * 3600_000),
      now,
    });
    return { kind: "confirm", rowId: saved.rowId, to: input.email, token, topicNames: topics.map((t) => t.name), keywordCount: input.keywords.length };
  }, { lock: mailboxLock(mailbox) });

  return async () => {
    if (email) await deliverOptInEmail(deps, email);
  };
}

/** Looks up a confirmation link without using it (the GET page shows a button; only the POST confirms). */
export async function checkConfirmationToken(deps: Pick<SubscriptionDeps, "db" | "now">, token: string) {
  const row = await findUsableConfirmation(deps, token);
  if (!row) throw new AppError("invalid_token", "This confirmation link has expired or was already used. Subscribe again to get a new one.");
  return row;
}

export async function confirmSubscription(deps: Pick<SubscriptionDeps, "db" | "now">, token: string, ip: string | undefined): Promise<string> {
  const now = deps.now?.() ?? new Date();
  const hash = hashConfirmationToken(token);
  return deps.db.$transaction(async (tx) => {
    // Conditional update: of two concurrent clicks exactly one wins.
    const used = await tx.confirmationToken.updateMany({ where: { tokenHash: hash, kind: "confirm", usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    const row = used.count === 1 ? await tx.confirmationToken.findUnique({ where: { tokenHash: hash }, select: { subscriberId: true, subscriber: { select: { status: true, email: true } } } }) : null;
    if (!row || (row.subscriber.status !== "pending" && row.subscriber.status !== "unsubscribed")) {
      throw new AppError("invalid_token", "This confirmation link has expired or was already used. Subscribe again to get a new one.");
    }
    if (await isSuppressed(tx, row.subscriber.email)) throw new AppError("invalid_token", "This address cannot receive our emails.");
    await tx.subscriber.update({ where: { id: row.subscriberId }, data: { status: "active", confirmedAt: now, confirmedIp: ip ?? null, unsubscribedAt: null } });
    // Older links of the same address stop working too.
    await tx.confirmationToken.updateMany({ where: { subscriberId: row.subscriberId, kind: "confirm", usedAt: null }, data: { usedAt: now } });
    return row.subscriberId;
  });
}

async function findUsableConfirmation(deps: Pick<SubscriptionDeps, "db" | "now">, token: string) {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token) || !isCanonicalBase64url(token)) return null;
  const now = deps.now?.() ?? new Date();
  return deps.db.confirmationToken.findFirst({
    where: { tokenHash: hashConfirmationToken(token), kind: "confirm", usedAt: null, expiresAt: { gt: now }, subscriber: { status: { in: ["pending", "unsubscribed"] } } },
    select: { subscriberId: true },
  });
}

/**
 * The subscriber a signed link belongs to, or a 400 that says the link does not work. Only a genuine link is told it
 * expired (and how to get a new one); anything else gets one message, whether forged or of a deleted subscriber.
 */
export async function subscriberFromLink(deps: Pick<SubscriptionDeps, "db" | "links" | "now">, token: string, purpose: LinkPurpose) {
  const check = checkSubscriberToken(deps.links.appSecret, token, purpose, deps.now?.() ?? new Date());
  if (!check.ok && check.reason === "expired") {
    throw new AppError("invalid_token", `This link has expired (links to your preferences work for ${LINK_LIFETIME_DAYS[purpose]} days). Enter your address on the subscribe page and we will email you a fresh one.`);
  }
  const id = check.ok ? check.id : undefined;
  const subscriber = id
    ? await deps.db.subscriber.findUnique({ where: { id }, include: { topics: { include: { topic: { select: { slug: true, name: true } } } } } })
    : null;
  if (!subscriber) throw new AppError("invalid_token", "This link is not valid, or the subscription no longer exists.");
  return subscriber;
}

export async function updatePreferences(deps: Pick<SubscriptionDeps, "db">, subscriberId: string, input: PreferencesInput) {
  const topicIds = await resolveTopicIds(deps.db, input.topics);
  await assertKeywordsSearchable(deps.db, input.keywords);
  await deps.db.subscriber.update({
    where: { id: subscriberId },
    data: {
      timezone: input.timezone,
      sendHour: input.sendHour,
      maxPapers: input.maxPapers,
      keywords: input.keywords,
      topics: { deleteMany: {}, create: topicIds.map((topicId) => ({ topicId })) },
    },
  });
}

/** Pause or resume; only between active and paused (an unsubscribed address needs a new opt-in). */
export async function setPaused(deps: Pick<SubscriptionDeps, "db">, subscriberId: string, paused: boolean) {
  const updated = await deps.db.subscriber.updateMany({
    where: { id: subscriberId, status: paused ? "active" : "paused" },
    data: { status: paused ? "paused" : "active" },
  });
  return updated.count === 1;
}

/** Immediate: the scheduler and the sender both check the status, so nothing more goes out. */
export async function unsubscribe(deps: Pick<SubscriptionDeps, "db" | "now">, subscriberId: string) {
  const now = deps.now?.() ?? new Date();
  await deps.db.subscriber.updateMany({
    where: { id: subscriberId, status: { in: ["pending", "active", "paused"] } },
    data: { status: "unsubscribed", unsubscribedAt: now },
  });
}

/** Deletes the subscriber and, by cascade, their topics, links, digests and digest items. */
export async function deleteSubscriberData(deps: Pick<SubscriptionDeps, "db">, subscriberId: string) {
  await deps.db.subscriber.deleteMany({ where: { id: subscriberId } });
}

async function resolveTopicIds(db: Db, slugs: string[]): Promise<number[]> {
  return (await chosenTopics(db, slugs)).map((t) => t.id);
}

interface TopicChoice {
  id: number;
  name: string;
  position: number;
}

// The topics table changes only when the catalog is synced (at start): a subscribe request reads it from memory.
const TOPIC_DIRECTORY_TTL_MS = 60_000;
const topicDirectories = new WeakMap<Db, { loadedAt: number; bySlug: Map<string, TopicChoice> }>();

/** The chosen topics in catalog order, or a 400 naming the unknown ones. */
async function chosenTopics(db: Db, slugs: string[]): Promise<TopicChoice[]> {
  if (slugs.length === 0) return [];
  let directory = topicDirectories.get(db);
  const stale = !directory || Date.now() - directory.loadedAt > TOPIC_DIRECTORY_TTL_MS || slugs.some((s) => !directory!.bySlug.has(s));
  if (stale) {
    const topics = await db.topic.findMany({ select: { id: true, slug: true, name: true, position: true } });
    directory = { loadedAt: Date.now(), bySlug: new Map(topics.map((t) => [t.slug, { id: t.id, name: t.name, position: t.position }])) };
    topicDirectories.set(db, directory);
  }
  const unknown = slugs.filter((s) => !directory!.bySlug.has(s));
  if (unknown.length) throw invalidFields([{ field: "topics", message: `unknown topic(s): ${unknown.join(", ")}` }]);
  return [...new Set(slugs)].map((s) => directory!.bySlug.get(s)!).sort((a, b) => a.position - b.position);
}

/** A keyword made only of stop words ("the", "of") would match nothing: say so instead of storing it. */
async function assertKeywordsSearchable(db: Db, keywords: string[]) {
  if (keywords.length === 0) return;
  // Raw SQL: the check is PostgreSQL's own parser.
  const rows = await db.$queryRaw<{ k: string; empty: boolean }[]>`
    SELECT k, websearch_to_tsquery('english', k)::text = '' AS empty FROM unnest(${keywords}::text[]) AS k`;
  const empty = rows.filter((r) => r.empty).map((r) => r.k);
  if (empty.length) throw invalidFields([{ field: "keywords", message: `no searchable words in: ${empty.join(", ")}` }]);
}
