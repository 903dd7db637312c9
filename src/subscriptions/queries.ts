// Raw SQL on a pg client for the subscribe request, the busiest write path: one read and one write statement per
// request instead of a query per table, without Prisma's per-statement overhead (keeps p99 low under load; see
// db/client.ts). Parameterized; the rules stay in lifecycle.ts.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { type Db, poolOf } from "../db/client.ts";

type Tx = pg.ClientBase;

/**
 * Prisma keeps DateTime as UTC in `timestamp without time zone`; pg would send a Date in the process's local zone.
 * An ISO string ends in Z, which PostgreSQL ignores for that type: the UTC wall time is stored, as Prisma does.
 */
export const utc = (date: Date) => date.toISOString();

/** The advisory lock that serializes subscribe requests for one mailbox (see inTransaction). */
export const mailboxLock = (mailbox: string) => `mailbox:${mailbox}`;

export interface SubscribeState {
  suppressed: boolean;
  subscriberId: string | null;
  status: string | null;
  emailsToday: number;
}

/**
 * Everything the subscribe rules need about an address, in one statement (after its mailbox's advisory lock).
 * `emailsToday` counts the emails sent to every address of the same mailbox, so spelling variants share the cap.
 */
export async function readSubscribeState(tx: Tx, email: string, mailbox: string, since: Date): Promise<SubscribeState> {
  const { rows } = await tx.query<SubscribeState>(
    `SELECT EXISTS (SELECT 1 FROM suppressions WHERE email = $1) AS suppressed,
            s.id::text AS "subscriberId", s.status::text AS status,
            (SELECT count(*)::int FROM confirmation_tokens c JOIN subscribers m ON m.id = c.subscriber_id
              WHERE m.mailbox = $2 AND c.created_at > $3) AS "emailsToday"
     FROM (SELECT 1) AS one LEFT JOIN subscribers s ON s.email = $1`,
    [email, mailbox, utc(since)],
  );
  return rows[0]!;
}

/** The row of a manage-link email (it only counts toward the daily cap and is the email's outbox entry). */
export async function saveManageLinkRow(tx: Tx, subscriberId: string, tokenHash: string, now: Date): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO confirmation_tokens (subscriber_id, kind, token_hash, created_at, expires_at)
     VALUES ($1::uuid, 'manage_link', $2, $3, $3) RETURNING id`,
    [subscriberId, tokenHash, utc(now)],
  );
  return rows[0]!.id;
}

export interface PendingSubscription {
  email: string;
  mailbox: string;
  timezone: string;
  sendHour: number;
  maxPapers: number;
  cadence: "daily" | "weekly";
  weekday: number;
  keywords: string[];
  topicIds: number[];
  ip: string | null;
  tokenHash: string;
  salt: string;
  expiresAt: Date;
  now: Date;
}

/**
 * Creates the subscriber, or resets an existing one to pending with these preferences; adds the confirmation token
 * (the outbox row of its email). Returns the subscriber's id and the row's.
 */
export async function savePendingSubscription(tx: Tx, existingId: string | null, p: PendingSubscription): Promise<{ subscriberId: string; rowId: number }> {
  const id = existingId ?? randomUUID();
  const { rows } = await tx.query<{ id: number }>(
    `WITH saved AS (
       INSERT INTO subscribers (id, email, mailbox, status, timezone, send_hour, max_papers, cadence, weekday, keywords, subscribed_at, subscribed_ip, created_at, updated_at)
       VALUES ($1::uuid, $2, $3, 'pending', $4, $5, $6, $14::cadence, $15, $7::text[], $8, $9, $8, $8)
       ON CONFLICT (id) DO UPDATE SET status = 'pending', mailbox = EXCLUDED.mailbox, timezone = EXCLUDED.timezone, send_hour = EXCLUDED.send_hour,
         max_papers = EXCLUDED.max_papers, cadence = EXCLUDED.cadence, weekday = EXCLUDED.weekday, keywords = EXCLUDED.keywords,
         subscribed_at = EXCLUDED.subscribed_at, subscribed_ip = EXCLUDED.subscribed_ip, paused_until = NULL, updated_at = EXCLUDED.updated_at
       RETURNING id
     ),
     -- Only the newest link confirms: an older one would confirm preferences its email did not show.
     old_links AS (UPDATE confirmation_tokens SET used_at = $8 WHERE subscriber_id = $1::uuid AND kind = 'confirm' AND used_at IS NULL),
     old_topics AS (DELETE FROM subscriber_topics WHERE subscriber_id = $1::uuid AND topic_id <> ALL($10::int[])),
     new_topics AS (
       INSERT INTO subscriber_topics (subscriber_id, topic_id) SELECT saved.id, t FROM saved, unnest($10::int[]) AS t
       ON CONFLICT DO NOTHING
     )
     INSERT INTO confirmation_tokens (subscriber_id, kind, token_hash, salt, created_at, expires_at)
     SELECT saved.id, 'confirm', $11, $12, $8, $13 FROM saved
     RETURNING id`,
    [id, p.email, p.mailbox, p.timezone, p.sendHour, p.maxPapers, p.keywords, utc(p.now), p.ip, p.topicIds, p.tokenHash, p.salt, utc(p.expiresAt), p.cadence, p.weekday],
  );
  return { subscriberId: id, rowId: rows[0]!.id };
}

export interface UnsentOptInEmail {
  rowId: number;
  kind: "confirm" | "manage_link";
  salt: string | null;
  attempts: number;
  subscriberId: string;
  email: string;
  keywordCount: number;
  topicNames: string[];
  /** The reader's delivery schedule, for the confirmation email's "Your first email: …". */
  timezone: string;
  sendHour: number;
  cadence: "daily" | "weekly";
  weekday: number;
}

/**
 * The outbox sweep's batch (rules in outbox.ts): unsent rows older than `staleBefore` and not leased since, still worth
 * sending, each leased (attempted_at) and counted, with what its email says. SKIP LOCKED: concurrent sweeps split rows.
 * Raw SQL: an UPDATE … FROM with a locking subquery is beyond Prisma.
 */
export async function claimUnsentOptInEmails(
  db: Db,
  opts: { now: Date; staleBefore: Date; manageLinksSince: Date; maxAttempts: number; limit: number },
): Promise<UnsentOptInEmail[]> {
  return db.$queryRaw<UnsentOptInEmail[]>`
    UPDATE confirmation_tokens c SET attempts = c.attempts + 1, attempted_at = ${opts.now}
    FROM subscribers s
    WHERE s.id = c.subscriber_id AND c.id IN (
      SELECT o.id FROM confirmation_tokens o JOIN subscribers r ON r.id = o.subscriber_id
      WHERE o.sent_at IS NULL AND o.created_at < ${opts.staleBefore} AND o.attempts < ${opts.maxAttempts}
        AND (o.attempted_at IS NULL OR o.attempted_at < ${opts.staleBefore})
        AND ((o.kind = 'confirm' AND o.salt IS NOT NULL AND o.used_at IS NULL AND o.expires_at > ${opts.now} AND r.status = 'pending')
          OR (o.kind = 'manage_link' AND o.created_at > ${opts.manageLinksSince} AND r.status IN ('active', 'paused')))
        AND NOT EXISTS (SELECT 1 FROM suppressions WHERE email = r.email)
      ORDER BY o.id LIMIT ${opts.limit}
      FOR UPDATE OF o SKIP LOCKED)
    RETURNING c.id AS "rowId", c.kind::text AS kind, c.salt, c.attempts, s.id::text AS "subscriberId", s.email,
      cardinality(s.keywords) AS "keywordCount", s.timezone, s.send_hour AS "sendHour", s.cadence::text AS cadence, s.weekday,
      ARRAY(SELECT t.name FROM subscriber_topics st JOIN topics t ON t.id = st.topic_id
            WHERE st.subscriber_id = s.id ORDER BY t.position) AS "topicNames"`;
}

/** After every subscribe request's email, so on the pool (see db/client.ts). */
export async function markOptInEmailSent(db: Db, rowId: number, at: Date) {
  await poolOf(db).query("UPDATE confirmation_tokens SET sent_at = $1 WHERE id = $2", [utc(at), rowId]);
}
