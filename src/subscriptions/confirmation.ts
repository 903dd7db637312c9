// Confirmation links: the GET page's check, the POST that confirms (once, of two clicks exactly one wins), and what a
// link that cannot confirm any more should say (already confirmed: the preferences; replaced; expired).
import { AppError } from "../errors.ts";
import type { SubscriptionDeps } from "./deps.ts";
import { isSuppressed } from "./suppression.ts";
import { hashConfirmationToken, isCanonicalBase64url, LINK_LIFETIME_DAYS } from "./tokens.ts";

/**
 * A confirmation link that cannot confirm (any more), and why: its address is already confirmed (then the page says so
 * and links to the preferences, as the first click's page did), a newer link replaced it, or it expired or never was.
 */
export type SpentConfirmation = { kind: "confirmed"; subscriberId: string } | { kind: "replaced" } | { kind: "invalid" };

export async function explainSpentConfirmation(deps: Pick<SubscriptionDeps, "db" | "now">, token: string): Promise<SpentConfirmation> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token) || !isCanonicalBase64url(token)) return { kind: "invalid" };
  const now = deps.now?.() ?? new Date();
  const row = await deps.db.confirmationToken.findUnique({
    where: { tokenHash: hashConfirmationToken(token) },
    select: { kind: true, usedAt: true, createdAt: true, subscriberId: true, subscriber: { select: { status: true, confirmedAt: true } } },
  });
  if (!row || row.kind !== "confirm") return { kind: "invalid" };
  const { status, confirmedAt } = row.subscriber;
  // The link's address was confirmed (by this link or a later one) and still gets our emails, or paused them. Only
  // for links as young as a preference link may be: the page hands out one.
  const young = now.getTime() - row.createdAt.getTime() <= (LINK_LIFETIME_DAYS.manage ?? 0) * 86_400_000;
  if ((status === "active" || status === "paused") && confirmedAt && confirmedAt >= row.createdAt && young) return { kind: "confirmed", subscriberId: row.subscriberId };
  if (row.usedAt && status === "pending") return { kind: "replaced" };
  return { kind: "invalid" };
}

const EXPIRED_LINK = "This confirmation link has expired or was already used. Subscribe again to get a new one.";

/** The error for a confirmation link that does not work and whose address is not confirmed. */
export function spentConfirmationError(spent: Exclude<SpentConfirmation, { kind: "confirmed" }>): AppError {
  if (spent.kind === "replaced") return new AppError("invalid_token", "A newer confirmation link replaced this one: please use the link in the latest email we sent you.");
  return new AppError("invalid_token", EXPIRED_LINK);
}

/** Looks up a confirmation link without using it (the GET page shows a button; only the POST confirms). */
export async function checkConfirmationToken(deps: Pick<SubscriptionDeps, "db" | "now">, token: string) {
  return findUsableConfirmation(deps, token);
}

export async function confirmSubscription(deps: Pick<SubscriptionDeps, "db" | "now">, token: string, ip: string | undefined): Promise<string> {
  const now = deps.now?.() ?? new Date();
  const hash = hashConfirmationToken(token);
  return deps.db.$transaction(async (tx) => {
    // Conditional update: of two concurrent clicks exactly one wins.
    const used = await tx.confirmationToken.updateMany({ where: { tokenHash: hash, kind: "confirm", usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    const row = used.count === 1 ? await tx.confirmationToken.findUnique({ where: { tokenHash: hash }, select: { subscriberId: true, subscriber: { select: { status: true, email: true } } } }) : null;
    if (!row || (row.subscriber.status !== "pending" && row.subscriber.status !== "unsubscribed")) {
      throw new AppError("invalid_token", EXPIRED_LINK);
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
