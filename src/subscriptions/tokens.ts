// Link tokens. Manage/unsubscribe/view links are HMAC-signed ids with the day they were issued (they must keep
// working in old emails for as long as LINK_LIFETIME_DAYS says); confirmation links are single-use, derived from a
// random salt with APP_SECRET, and stored only as a hash.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * What a signed link may do; a token of one purpose never works for another. "feed": the reader's private Atom feed;
 * "archive": the list of their past digests.
 */
export type LinkPurpose = "manage" | "unsubscribe" | "digest" | "feed" | "archive";

const DAY_MS = 24 * 3600_000;

/**
 * How long a signed link works after its email went out. Unsubscribe links never expire: a reader must be able to
 * leave from any email they kept (RFC 8058 one-click, anti-spam law), and they can do nothing else. Preference and
 * view-in-browser links show the address and the reader's interests and can change or delete them, so they expire;
 * every new email carries fresh ones, and the subscribe page mails a fresh manage link to a subscribed address.
 */
export const LINK_LIFETIME_DAYS: Record<LinkPurpose, number | undefined> = { manage: 90, digest: 90, archive: 90, unsubscribe: undefined, feed: undefined };
// The feed link lives in a feed reader that polls it for years, so it does not expire either: it shows only the papers
// the reader was sent (no address) and changes nothing, and "Reset my feed link" (a new `scope`) voids every older one.

export type LinkCheck = { ok: true; id: string } | { ok: false; reason: "invalid" | "expired" };

/**
 * `<id>.<issued day>.<mac>`, each part base64url: 16 bytes of the UUID, 3 bytes of days since 1970, HMAC-SHA256 over
 * the purpose (and `scope`, e.g. a feed link's version), the id and the day.
 */
export function signSubscriberToken(secret: string, subscriberId: string, purpose: LinkPurpose, issuedAt = new Date(), scope?: string): string {
  const id = Buffer.from(subscriberId.replace(/-/g, ""), "hex").toString("base64url");
  const day = Buffer.alloc(3);
  day.writeUIntBE(Math.floor(issuedAt.getTime() / DAY_MS), 0, 3);
  const issued = day.toString("base64url");
  return `${id}.${issued}.${mac(secret, scoped(purpose, scope), id, issued)}`;
}

/** The id a token claims to be for, not yet verified: to look up what a scoped token must be checked against. */
export function claimedSubscriberId(token: string): string | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{4}\.[A-Za-z0-9_-]{43}$/.exec(token);
  if (!match || !isCanonicalBase64url(match[1]!)) return undefined;
  return uuidOf(match[1]!);
}

const scoped = (purpose: LinkPurpose, scope?: string) => (scope === undefined ? purpose : `${purpose}/${scope}`);

function uuidOf(id: string): string {
  const hex = Buffer.from(id, "base64url").toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id a token names, or why it does not work: malformed, tampered, another purpose's (all "invalid"), or expired. */
export function checkSubscriberToken(secret: string, token: string, purpose: LinkPurpose, now = new Date(), scope?: string): LinkCheck {
  if (purpose === "unsubscribe") {
    const legacy = checkLegacyUnsubscribeToken(secret, token);
    if (legacy) return legacy;
  }
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{4})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: "invalid" };
  const [, id, issued, given] = match as unknown as [string, string, string, string];
  // The last character of a part may have unused low bits: other spellings decode to the same bytes. One link, one spelling.
  if (![id, issued, given].every(isCanonicalBase64url)) return { ok: false, reason: "invalid" };
  const expected = Buffer.from(mac(secret, scoped(purpose, scope), id, issued), "base64url");
  const actual = Buffer.from(given, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: "invalid" };
  const ageDays = Math.floor(now.getTime() / DAY_MS) - Buffer.from(issued, "base64url").readUIntBE(0, 3);
  const lifetime = LINK_LIFETIME_DAYS[purpose];
  // A day ahead is clock skew between processes; more is not a link we issued.
  if (ageDays < -1) return { ok: false, reason: "invalid" };
  if (lifetime !== undefined && ageDays > lifetime) return { ok: false, reason: "expired" };
  const hex = Buffer.from(id, "base64url").toString("hex");
  return { ok: true, id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
}

/** The id, or undefined for a token that does not work (for whatever reason). Constant-time comparison. */
export function verifySubscriberToken(secret: string, token: string, purpose: LinkPurpose, now = new Date()): string | undefined {
  const check = checkSubscriberToken(secret, token, purpose, now);
  return check.ok ? check.id : undefined;
}

/**
 * Unsubscribe links of emails sent before links carried their issue day (`<id>.<mac>`, MAC over "unsubscribe:<id>"):
 * a reader must be able to leave from any email they kept. Only the canonical spelling, constant-time.
 */
function checkLegacyUnsubscribeToken(secret: string, token: string): LinkCheck | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const [, id, given] = match as unknown as [string, string, string];
  if (![id, given].every(isCanonicalBase64url)) return { ok: false, reason: "invalid" };
  const expected = createHmac("sha256", secret).update(`unsubscribe:${id}`).digest();
  const actual = Buffer.from(given, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: "invalid" };
  const hex = Buffer.from(id, "base64url").toString("hex");
  return { ok: true, id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
}

export function isCanonicalBase64url(text: string): boolean {
  return Buffer.from(text, "base64url").toString("base64url") === text;
}

function mac(secret: string, purpose: string, id: string, issued: string): string {
  return createHmac("sha256", secret).update(`${purpose}:${id}:${issued}`).digest("base64url");
}

/**
 * A confirmation link's token: the HMAC of a random salt. The row keeps the salt and the token's hash, so the outbox
 * can write the same link again after a crash, while the database alone (without APP_SECRET) yields no working link.
 */
export function newConfirmationToken(secret: string): { token: string; hash: string; salt: string } {
  const salt = randomBytes(16).toString("base64url");
  const token = confirmationTokenFor(secret, salt);
  return { token, hash: hashConfirmationToken(token), salt };
}

export function confirmationTokenFor(secret: string, salt: string): string {
  return createHmac("sha256", secret).update(`confirm:${salt}`).digest("base64url");
}

/** A row that only counts toward the daily cap and is never a link (the manage-link email's row). */
export function unusableTokenHash(): string {
  return hashConfirmationToken(randomBytes(32).toString("base64url"));
}

export function hashConfirmationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * "More / less like this" links: a reader and a paper, signed. `<reader id>.<paper id in base 36>.<HMAC>`. Verified by
 * signing again and comparing whole strings, so only the one canonical spelling of a token is accepted.
 */
export function signFeedbackToken(secret: string, subscriberId: string, paperId: number): string {
  const body = `${Buffer.from(subscriberId.replace(/-/g, ""), "hex").toString("base64url")}.${paperId.toString(36)}`;
  return `${body}.${createHmac("sha256", secret).update(`feedback:${body}`).digest("base64url")}`;
}

export function verifyFeedbackToken(secret: string, token: string): { subscriberId: string; paperId: number } | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,7})\.[A-Za-z0-9_-]{43}$/.exec(token);
  if (!match) return undefined;
  const hex = Buffer.from(match[1]!, "base64url").toString("hex");
  const subscriberId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const paperId = parseInt(match[2]!, 36);
  if (!Number.isSafeInteger(paperId) || paperId < 1 || paperId > 2_147_483_647) return undefined;
  const expected = Buffer.from(signFeedbackToken(secret, subscriberId, paperId));
  const actual = Buffer.from(token);
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? { subscriberId, paperId } : undefined;
}
