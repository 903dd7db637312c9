// Subscribe, manage, resubscribe, unsubscribe, delete: what a reader does outside the email (confirmation links:
// confirmation.ts).
import { type Db, inTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { CONFIRMATION_TTL_HOURS, type SubscriptionDeps } from "./deps.ts";
import { invalidFields, type PreferencesInput, type SubscriptionInput } from "./input.ts";
import type { OptInEmail } from "./emails.ts";
import { deliverOptInEmail } from "./outbox.ts";
import { checkSubscriberToken, LINK_LIFETIME_DAYS, newConfirmationToken, type LinkPurpose, unusableTokenHash } from "./tokens.ts";
import { canonicalMailbox } from "./mailbox.ts";
import { mailboxLock, readSubscribeState, saveManageLinkRow, savePendingSubscription } from "./queries.ts";
import { canonicalTimeZone } from "./time-zones.ts";
import { describeCadence, describeMoment, nextDelivery } from "./schedule.ts";
import { isSuppressed } from "./suppression.ts";

export { CONFIRMATION_TTL_HOURS, type SubscriptionDeps };

/**
 * Handles a subscribe request. The caller always answers the same way ("pending"), whatever the address's state,
 * so nobody can learn who is subscribed; the email that goes out (if any) differs, and only the owner sees it.
 * The database work here is similar for every state. It returns the email to send, which the caller sends after
 * answering, so the time to answer does not depend on whether (and which) email goes out.
 */
export async function subscribe(deps: SubscriptionDeps, input: SubscriptionInput, ip: string | undefined): Promise<() => Promise<void>> {
  return (await requestSubscription(deps, input, ip)).deliver;
}

type SubscribeOutcome = "confirm" | "manage" | "none";

/** subscribe(), also saying which email goes out: only for callers that may know (the reader's own resubscribe). */
async function requestSubscription(deps: SubscriptionDeps, input: SubscriptionInput, ip: string | undefined): Promise<{ outcome: SubscribeOutcome; deliver: () => Promise<void> }> {
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
      cadence: input.cadence,
      weekday: input.weekday,
      keywords: input.keywords,
      topicIds: topics.map((t) => t.id),
      ip: ip ?? null,
      tokenHash: hash,
      salt,
      expiresAt: new Date(now.getTime() + CONFIRMATION_TTL_HOURS * 3600_000),
      now,
    });
    const schedule = { timezone: input.timezone, sendHour: input.sendHour, cadence: input.cadence, weekday: input.weekday };
    return { kind: "confirm", rowId: saved.rowId, to: input.email, token, topicNames: topics.map((t) => t.name), keywordCount: input.keywords.length, schedule };
  }, { lock: mailboxLock(mailbox) });

  return {
    outcome: email?.kind ?? "none",
    deliver: async () => {
      if (email) await deliverOptInEmail(deps, email);
    },
  };
}

/**
 * An unsubscribed reader wants their emails back: exactly a new subscription with their saved preferences, so the same
 * proof of consent (a confirmation email whose link they must press; the time and IP of request and confirmation).
 * "sent" when the confirmation email goes out, "capped" when this mailbox had its emails for today, "not-unsubscribed"
 * when there is nothing to do, "refused" for an address that bounced or is suppressed.
 */
export async function requestResubscription(deps: SubscriptionDeps, subscriberId: string, ip: string | undefined) {
  const subscriber = await deps.db.subscriber.findUnique({ where: { id: subscriberId }, include: { topics: { include: { topic: { select: { slug: true } } } } } });
  if (!subscriber || subscriber.status !== "unsubscribed") return { result: "not-unsubscribed" as const };
  const input: SubscriptionInput = {
    email: subscriber.email,
    topics: subscriber.topics.map((t) => t.topic.slug),
    keywords: subscriber.keywords,
    timezone: canonicalTimeZone(subscriber.timezone) ?? "UTC",
    sendHour: subscriber.sendHour,
    maxPapers: subscriber.maxPapers,
    cadence: subscriber.cadence,
    weekday: subscriber.weekday,
  };
  const { outcome, deliver } = await requestSubscription(deps, input, ip);
  if (outcome === "confirm") return { result: "sent" as const, deliver };
  const suppressed = await isSuppressed(deps.db, subscriber.email);
  return { result: suppressed ? ("refused" as const) : ("capped" as const) };
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
      cadence: input.cadence,
      weekday: input.weekday,
      keywords: input.keywords,
      topics: { deleteMany: {}, create: topicIds.map((topicId) => ({ topicId })) },
    },
  });
}

/**
 * Pause (until resumed, or until `until`: the planner resumes the reader then) or resume; only between active and
 * paused (an unsubscribed address needs a new opt-in). Pausing a paused reader again changes when the pause ends.
 */
export async function setPaused(deps: Pick<SubscriptionDeps, "db">, subscriberId: string, paused: boolean, until: Date | null = null) {
  const updated = await deps.db.subscriber.updateMany({
    where: { id: subscriberId, status: paused ? { in: ["active", "paused"] } : "paused" },
    data: { status: paused ? "paused" : "active", pausedUntil: paused ? until : null },
  });
  return updated.count === 1;
}

/** "tomorrow, 07:00 Europe/Berlin" and "every day at 07:00": when the reader's next email comes, as the planner decides. */
export async function describeNextEmail(deps: Pick<SubscriptionDeps, "db" | "now">, subscriberId: string) {
  const schedule = await deps.db.subscriber.findUniqueOrThrow({ where: { id: subscriberId }, select: { timezone: true, sendHour: true, cadence: true, weekday: true, confirmedAt: true } });
  const now = deps.now?.() ?? new Date();
  // The first email comes at the first delivery hour after confirming (digest/queries.ts findDueSubscribers).
  const from = schedule.confirmedAt && schedule.confirmedAt > now ? schedule.confirmedAt : now;
  return { nextEmail: describeMoment(nextDelivery(schedule, from), now, schedule.timezone), cadenceText: describeCadence(schedule) };
}

/** Less mail instead of none: what the unsubscribe page offers. */
export type LessMail = { kind: "pause"; until: Date } | { kind: "fewer"; maxPapers: number } | { kind: "weekly"; weekday: number };

/**
 * Applies one of the unsubscribe page's alternatives to a reader who still gets (or paused) their emails; each only
 * lessens the mail. False when it does not apply (unsubscribed, or already so).
 */
export async function chooseLessMail(deps: Pick<SubscriptionDeps, "db">, subscriberId: string, choice: LessMail): Promise<boolean> {
  const receiving = { id: subscriberId, status: { in: ["active" as const, "paused" as const] } };
  if (choice.kind === "pause") return setPaused(deps, subscriberId, true, choice.until);
  if (choice.kind === "fewer") {
    return (await deps.db.subscriber.updateMany({ where: { ...receiving, maxPapers: { gt: choice.maxPapers } }, data: { maxPapers: choice.maxPapers } })).count === 1;
  }
  return (await deps.db.subscriber.updateMany({ where: { ...receiving, cadence: "daily" }, data: { cadence: "weekly", weekday: choice.weekday } })).count === 1;
}

/** Readers whose timed pause is over get emails again (run before each planning run). */
export async function resumeEndedPauses(db: Db, now: Date): Promise<number> {
  const resumed = await db.subscriber.updateMany({ where: { status: "paused", pausedUntil: { lte: now } }, data: { status: "active", pausedUntil: null } });
  return resumed.count;
}

/** Immediate: the scheduler and the sender both check the status, so nothing more goes out. */
export async function unsubscribe(deps: Pick<SubscriptionDeps, "db" | "now">, subscriberId: string) {
  const now = deps.now?.() ?? new Date();
  await deps.db.subscriber.updateMany({
    where: { id: subscriberId, status: { in: ["pending", "active", "paused"] } },
    data: { status: "unsubscribed", unsubscribedAt: now },
  });
}

/** Deletes the subscriber and, by cascade, their topics, links, digests, digest items, feedback and profile. */
export async function deleteSubscriberData(deps: Pick<SubscriptionDeps, "db">, subscriberId: string) {
  await deps.db.subscriber.deleteMany({ where: { id: subscriberId } });
}

/** A 400 naming the topics that do not exist, if any. */
export async function assertTopicsKnown(db: Db, slugs: string[]) {
  await resolveTopicIds(db, slugs);
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

/** The reader's record for their data export: preferences and consent, and the emails their subscribe requests caused. */
export async function loadSubscriberRecord(deps: Pick<SubscriptionDeps, "db">, subscriberId: string) {
  const subscriber = await deps.db.subscriber.findUniqueOrThrow({
    where: { id: subscriberId },
    include: { topics: { include: { topic: { select: { slug: true, name: true, position: true } } } } },
  });
  const optInEmails = await deps.db.confirmationToken.findMany({ where: { subscriberId }, orderBy: { createdAt: "asc" }, select: { kind: true, createdAt: true, usedAt: true } });
  const topics = subscriber.topics.sort((a, b) => a.topic.position - b.topic.position).map((t) => ({ slug: t.topic.slug, name: t.topic.name }));
  return { subscriber: { ...subscriber, topics }, optInEmails };
}

/** Resets the reader's private feed link: every link given out before stops working. */
export async function resetFeedLink(deps: Pick<SubscriptionDeps, "db">, subscriberId: string) {
  await deps.db.subscriber.update({ where: { id: subscriberId }, data: { feedVersion: { increment: 1 } } });
}
