// The sender's two statements per batch, as raw SQL on the pg pool: they run for every few emails, and through Prisma
// a claim and its load took five round trips (claim, digests, readers, topics, suppressions) and more client CPU than
// PostgreSQL spent on them. Prisma keeps DateTime as UTC in `timestamp without time zone`: instants go in as ISO
// strings (the Z ignored there) and come back AT TIME ZONE 'UTC', so node-pg reads them as the same instants.
import { type Db, poolOf } from "../db/client.ts";

/** A claimed digest and what sending it needs to know about its reader. */
export interface ClaimedDigest {
  id: string;
  /** The reader's date the digest is for (midnight UTC, as Prisma returns a `date`). */
  localDate: Date;
  attempts: number;
  recipientRefusals: number;
  plannedAt: Date;
  subscriber: {
    id: string;
    email: string;
    status: string;
    confirmedAt: Date | null;
    keywords: string[];
    topics: string[];
    /** The address is on the suppression list (bounced, complained, removed). */
    suppressed: boolean;
  };
}

export interface ClaimTerms {
  claimToken: string;
  now: Date;
  /** Planned digests whose retry time is before this are due. */
  dueBefore: Date;
  /** Claims older than this were a killed worker's: taken over. */
  staleBefore: Date;
}

// $1 digest ids, $2 now, $3 claim token, $4 due before, $5 stale before. Exported for the test that checks its plan.
// Which rows may be claimed is said with a CASE, which no index can answer: written as conditions on status,
// PostgreSQL ANDed in a bitmap of every planned digest from the status index whenever its statistics were behind
// (always, right after a day was planned), so each claim of 50 read the whole day's planned entries (1.5 ms at 100,000,
// growing with the day). The ids alone choose the rows: one primary-key lookup each.
// Topics are read from the reader's own entries (one range of the key), not by probing every topic for each reader.
export const CLAIM_SQL = `WITH claimed AS (
    UPDATE digests SET status = 'sending', claimed_at = $2, claim_token = $3, attempts = attempts + 1, updated_at = $2
    WHERE id = ANY($1::uuid[]) AND CASE status
      WHEN 'planned' THEN retry_at IS NULL OR retry_at <= $4
      WHEN 'sending' THEN claimed_at < $5 OR claim_token = $3
      ELSE false END
    RETURNING id, subscriber_id, local_date, attempts, recipient_refusals, planned_at)
  SELECT c.id::text, to_char(c.local_date, 'YYYY-MM-DD') AS "localDate", c.attempts, c.recipient_refusals AS "recipientRefusals",
    c.planned_at AT TIME ZONE 'UTC' AS "plannedAt", s.id::text AS "subscriberId", s.email, s.status::text,
    s.confirmed_at AT TIME ZONE 'UTC' AS "confirmedAt", s.keywords,
    ARRAY(SELECT (SELECT t.slug FROM topics t WHERE t.id = st.topic_id) FROM subscriber_topics st WHERE st.subscriber_id = s.id ORDER BY st.topic_id) AS topics,
    EXISTS (SELECT 1 FROM suppressions x WHERE x.email = s.email) AS suppressed
  FROM claimed c JOIN subscribers s ON s.id = c.subscriber_id`;

/**
 * Claims these digests for `claimToken` and returns them with their readers, in one statement: planned ones that are
 * due, ones whose worker's lease ran out (killed mid-send), and, when the claim is repeated because its answer was
 * lost to a database outage, the ones this very claim took.
 */
export async function claimDigests(db: Db, digestIds: string[], terms: ClaimTerms): Promise<ClaimedDigest[]> {
  const { rows } = await poolOf(db).query<{
    id: string;
    localDate: string;
    attempts: number;
    recipientRefusals: number;
    plannedAt: Date;
    subscriberId: string;
    email: string;
    status: string;
    confirmedAt: Date | null;
    keywords: string[] | null;
    topics: string[];
    suppressed: boolean;
  }>({
    // Named: prepared once per connection, not parsed and planned again for every batch.
    name: "digest-claim",
    text: CLAIM_SQL,
    values: [`{${digestIds.join(",")}}`, terms.now.toISOString(), terms.claimToken, terms.dueBefore.toISOString(), terms.staleBefore.toISOString()],
  });
  return rows.map((r) => ({
    id: r.id,
    localDate: new Date(`${r.localDate}T00:00:00Z`),
    attempts: r.attempts,
    recipientRefusals: r.recipientRefusals,
    plannedAt: r.plannedAt,
    subscriber: { id: r.subscriberId, email: r.email, status: r.status, confirmedAt: r.confirmedAt, keywords: r.keywords ?? [], topics: r.topics, suppressed: r.suppressed },
  }));
}

/**
 * Records sent digests in one statement, each row with its own subject and Message-ID. Only rows this claim still
 * owns are written.
 */
export async function recordSent(db: Db, sent: { id: string; subject: string; messageId: string }[], claimToken: string, at: Date): Promise<void> {
  await poolOf(db).query({
    name: "digest-record-sent",
    text: `UPDATE digests d SET status = 'sent', sent_at = $1, updated_at = $1, last_error = NULL, retry_at = NULL, subject = v.subject, message_id = v.message_id
     FROM unnest($2::uuid[], $3::text[], $4::text[]) AS v(id, subject, message_id)
     WHERE d.id = v.id AND d.status = 'sending' AND d.claim_token = $5::uuid`,
    values: [at.toISOString(), `{${sent.map((s) => s.id).join(",")}}`, sent.map((s) => s.subject), sent.map((s) => s.messageId), claimToken],
  });
}
