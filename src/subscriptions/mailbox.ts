// Which mailbox an address delivers to. "Some.One+news@Gmail.com" and "someone@googlemail.com" reach one inbox; a cap
// per typed address would let anyone flood that inbox with confirmation emails by varying the spelling.

/** Providers known to ignore dots in the local part, and the domain their aliases share. */
const DOTS_IGNORED: Record<string, string> = { "gmail.com": "gmail.com", "googlemail.com": "gmail.com" };

/**
 * The canonical mailbox: lower-cased, the +tag removed (sub-addressing, RFC 5233), dots removed at providers that
 * ignore them. Used only to count; the address is stored and mailed as typed. The backfill in the migration
 * 20261125190740_subscriber_mailbox repeats these rules in SQL.
 */
export function canonicalMailbox(address: string): string {
  const lower = address.toLowerCase();
  const at = lower.lastIndexOf("@");
  let local = lower.slice(0, at).split("+")[0]!;
  let domain = lower.slice(at + 1);
  const shared = DOTS_IGNORED[domain];
  if (shared) {
    local = local.replace(/\./g, "");
    domain = shared;
  }
  return `${local}@${domain}`;
}
