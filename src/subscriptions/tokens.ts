// Link tokens. Manage/unsubscribe links are HMAC-signed subscriber ids (they must keep working in old emails);
// confirmation links are random, single-use, and stored only as a hash.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type LinkPurpose = "manage" | "unsubscribe" | "digest";

export function signSubscriberToken(secret: string, subscriberId: string, purpose: LinkPurpose): string {
  const id = Buffer.from(subscriberId.replace(/-/g, ""), "hex").toString("base64url");
  return `${id}.${mac(secret, purpose, id)}`;
}

/** The subscriber id, or undefined for a malformed, tampered or other-purpose token. Constant-time comparison. */
export function verifySubscriberToken(secret: string, token: string, purpose: LinkPurpose): string | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const [, id, given] = match as unknown as [string, string, string];
  // The last character of each part has unused low bits: other spellings decode to the same bytes. One link, one spelling.
  if (!isCanonicalBase64url(id) || !isCanonicalBase64url(given)) return undefined;
  const expected = Buffer.from(mac(secret, purpose, id), "base64url");
  const actual = Buffer.from(given, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  const hex = Buffer.from(id, "base64url").toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isCanonicalBase64url(text: string): boolean {
  return Buffer.from(text, "base64url").toString("base64url") === text;
}

function mac(secret: string, purpose: LinkPurpose, id: string): string {
  return createHmac("sha256", secret).update(`${purpose}:${id}`).digest("base64url");
}

export function newConfirmationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashConfirmationToken(token) };
}

export function hashConfirmationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
