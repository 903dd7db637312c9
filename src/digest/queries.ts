// Set-based SQL for planning: one statement per batch of subscribers, not one query per subscriber and topic.
// Raw SQL because Prisma cannot express tsquery matching, window functions or INSERT ... SELECT.
import type { Db } from "../db/client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { trendQuery } from "../sources/trend.ts";
import type { Candidate } from "./candidates.ts";

type Tx = Prisma.TransactionClient;

/** Creates the digest rows that do not exist yet (unique per subscriber and local date); returns the new ones. */
export async function insertDigests(tx: Tx, due: { subscriberId: string; localDate: string }[], now: Date) {
  return tx.$queryRaw<{ id: string; subscriberId: string }[]>`
    INSERT INTO digests (id, subscriber_id, local_date, status, planned_at, updated_at)
    SELECT gen_random_uuid(), d.subscriber_id, d.local_date, 'planned', ${now}, ${now}
    FROM unnest(${due.map((d) => d.subscriberId)}::uuid[], ${due.map((d) => d.localDate)}::date[]) AS d(subscriber_id, local_date)
    JOIN subscribers s ON s.id = d.subscriber_id
    WHERE s.status = 'active' AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email = s.email)
    ON CONFLICT (subscriber_id, local_date) DO NOTHING
    RETURNING id, subscriber_id AS "subscriberId"`;
}

/** What a planning run ranks from: candidate papers' trends, and the topic and keyword matches and vectors of those. */
export async function loadRankingRows(db: Db, now: Date, windowDays: number) {
  // Raw SQL: the trend formula (src/sources/trend.ts) runs in PostgreSQL, over the papers inside the trending window.
  const trends = await db.$queryRaw<{ paperId: number; trend: number }[]>`
    SELECT paper_id AS "paperId", trend FROM (${trendQuery(now, windowDays, Prisma.sql`true`)}) t`;
  const ids = trends.map((t) => t.paperId);
  const [topicMatches, keywordMatches, vectors] = await Promise.all([
    db.$queryRaw<{ topicId: number; slug: string; paperId: number; relevance: number; reason: string }[]>`
      SELECT tp.topic_id AS "topicId", t.slug, tp.paper_id AS "paperId", tp.relevance, tp.reason
      FROM topic_papers tp JOIN topics t ON t.id = tp.topic_id WHERE tp.paper_id = ANY(${ids}::int[])`,
    db.$queryRaw<{ keyword: string; paperId: number; relevance: number; reason: string }[]>`
      SELECT keyword, paper_id AS "paperId", relevance, reason FROM keyword_papers WHERE paper_id = ANY(${ids}::int[])`,
    db.$queryRaw<{ paperId: number; term: string; weight: number }[]>`
      SELECT paper_id AS "paperId", term, weight FROM paper_terms WHERE paper_id = ANY(${ids}::int[])`,
  ]);
  return { trends, topicMatches, keywordMatches, vectors };
}

/** Lists travel as one text per row, joined by U+001D (no keyword, title or reason holds a control character). */
const JOIN = "\u001d";

/** A run's ranked lists, one per preference signature: flat arrays, a statement per 20,000 rows. */
export async function insertPlanCandidates(db: Db, runId: string, lists: { listId: number; candidates: Candidate[] }[]) {
  const rows = lists.flatMap((l) => l.candidates.map((c, i) => ({ listId: l.listId, pos: i + 1, c })));
  for (let i = 0; i < rows.length; i += 20_000) {
    const chunk = rows.slice(i, i + 20_000);
    await db.$executeRaw`
      INSERT INTO plan_candidates (run_id, list_id, pos, paper_id, score, topics, keywords, reasons)
      SELECT ${runId}::uuid, x.* FROM unnest(
        ${chunk.map((r) => r.listId)}::int[], ${chunk.map((r) => r.pos)}::int[], ${chunk.map((r) => r.c.paperId)}::int[], ${chunk.map((r) => r.c.score)}::float8[],
        ${chunk.map((r) => r.c.topics.join(JOIN))}::text[], ${chunk.map((r) => r.c.keywords.join(JOIN))}::text[], ${chunk.map((r) => r.c.reasons.join(JOIN))}::text[]
      ) AS x`;
  }
}

/** A run's lists, and any a crashed run left behind more than a day ago. */
export async function deletePlanCandidates(db: Db, runId: string) {
  await db.$executeRaw`DELETE FROM plan_candidates WHERE run_id = ${runId}::uuid OR created_at < now() - interval '1 day'`;
}

export interface ReaderPreferences {
  subscriberId: string;
  topicIds: number[];
  keywords: string[];
  maxPapers: number;
  hasProfile: boolean;
}

/** What the planner needs of each reader of a batch, in one statement. */
export function loadPreferences(db: Db, subscriberIds: string[]): Promise<ReaderPreferences[]> {
  return db.$queryRaw<ReaderPreferences[]>`
    SELECT s.id AS "subscriberId", coalesce(s.keywords, '{}') AS keywords, s.max_papers AS "maxPapers",
           coalesce((SELECT array_agg(st.topic_id) FROM subscriber_topics st WHERE st.subscriber_id = s.id), '{}') AS "topicIds",
           EXISTS (SELECT 1 FROM reader_profile_terms rp WHERE rp.subscriber_id = s.id) AS "hasProfile"
    FROM subscribers s WHERE s.id = ANY(${subscriberIds}::uuid[])`;
}

/** How many of these papers (the run's candidates) each reader was sent before: an index-only count. */
export async function countSentPapers(db: Db, subscriberIds: string[], candidatePaperIds: number[]): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<{ subscriberId: string; sent: number }[]>`
    SELECT subscriber_id AS "subscriberId", count(*)::int AS sent FROM digest_items
    WHERE subscriber_id = ANY(${subscriberIds}::uuid[]) AND paper_id = ANY(${candidatePaperIds}::int[])
    GROUP BY subscriber_id`;
  return new Map(rows.map((r) => [r.subscriberId, r.sent]));
}

/** For readers ranked one by one: their profile (terms and weights as arrays: one row per reader) and the papers
 * among the run's candidates they were sent before. */
export async function loadOneByOneReaders(db: Db, subscriberIds: string[], candidatePaperIds: number[]) {
  const [profiles, sent] = await Promise.all([
    db.$queryRaw<{ subscriberId: string; terms: string[]; weights: number[] }[]>`
      SELECT subscriber_id AS "subscriberId", array_agg(term) AS terms, array_agg(weight) AS weights
      FROM reader_profile_terms WHERE subscriber_id = ANY(${subscriberIds}::uuid[]) GROUP BY subscriber_id`,
    db.$queryRaw<{ subscriberId: string; paperIds: number[] }[]>`
      SELECT subscriber_id AS "subscriberId", array_agg(paper_id) AS "paperIds" FROM digest_items
      WHERE subscriber_id = ANY(${subscriberIds}::uuid[]) AND paper_id = ANY(${candidatePaperIds}::int[])
      GROUP BY subscriber_id`,
  ]);
  return {
    profiles: new Map(profiles.map((p) => [p.subscriberId, p.terms.map((term, i) => ({ term, weight: p.weights[i]! }))])),
    sent: new Map(sent.map((s) => [s.subscriberId, new Set(s.paperIds)])),
  };
}

/** The papers these readers liked, with their vectors: to name the closest in "Because you liked". */
export function loadLikedPapers(db: Db, subscriberIds: string[]) {
  return db.$queryRaw<{ subscriberId: string; paperId: number; title: string; terms: string[]; weights: number[] }[]>`
    SELECT f.subscriber_id AS "subscriberId", f.paper_id AS "paperId", p.display_title AS title,
           array_agg(pt.term) AS terms, array_agg(pt.weight) AS weights
    FROM feedback f JOIN papers p ON p.id = f.paper_id JOIN paper_terms pt ON pt.paper_id = f.paper_id
    WHERE f.subscriber_id = ANY(${subscriberIds}::uuid[]) AND f.value > 0
    GROUP BY f.subscriber_id, f.paper_id, p.display_title`;
}

/**
 * Each new digest's papers from its reader's list in the run: the first ones, in list order, that the reader was
 * never sent, up to their papers per email. One statement; the NOT EXISTS is an index probe per paper looked at.
 */
export async function insertItemsFromLists(tx: Tx, runId: string, digests: { digestId: string; subscriberId: string; listId: number; maxPapers: number }[]) {
  if (digests.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO digest_items (digest_id, subscriber_id, paper_id, position, score, matched_topics, matched_keywords, reasons)
    SELECT d.digest_id, d.subscriber_id, c.paper_id, c.position, c.score,
           coalesce(string_to_array(nullif(c.topics, ''), chr(29)), '{}'), coalesce(string_to_array(nullif(c.keywords, ''), chr(29)), '{}'), coalesce(string_to_array(nullif(c.reasons, ''), chr(29)), '{}')
    FROM unnest(${digests.map((d) => d.digestId)}::uuid[], ${digests.map((d) => d.subscriberId)}::uuid[], ${digests.map((d) => d.listId)}::int[], ${digests.map((d) => d.maxPapers)}::int[])
      AS d(digest_id, subscriber_id, list_id, max_papers)
    CROSS JOIN LATERAL (
      SELECT c.*, row_number() OVER (ORDER BY c.pos) AS position
      FROM (
        SELECT pc.pos, pc.paper_id, pc.score, pc.topics, pc.keywords, pc.reasons FROM plan_candidates pc
        WHERE pc.run_id = ${runId}::uuid AND pc.list_id = d.list_id
          AND NOT EXISTS (SELECT 1 FROM digest_items di WHERE di.subscriber_id = d.subscriber_id AND di.paper_id = pc.paper_id)
        ORDER BY pc.pos
        LIMIT d.max_papers
      ) c
    ) c
    ON CONFLICT DO NOTHING`;
}

/** Digest items chosen in memory (readers ranked one by one), in one statement. */
export async function insertItems(tx: Tx, items: { digestId: string; subscriberId: string; position: number; candidate: Candidate }[]) {
  if (items.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO digest_items (digest_id, subscriber_id, paper_id, position, score, matched_topics, matched_keywords, reasons)
    SELECT x.digest_id, x.subscriber_id, x.paper_id, x.position, x.score,
           coalesce(string_to_array(nullif(x.topics, ''), chr(29)), '{}'), coalesce(string_to_array(nullif(x.keywords, ''), chr(29)), '{}'), coalesce(string_to_array(nullif(x.reasons, ''), chr(29)), '{}')
    FROM unnest(
      ${items.map((i) => i.digestId)}::uuid[], ${items.map((i) => i.subscriberId)}::uuid[], ${items.map((i) => i.candidate.paperId)}::int[], ${items.map((i) => i.position)}::int[],
      ${items.map((i) => i.candidate.score)}::float8[], ${items.map((i) => i.candidate.topics.join(JOIN))}::text[], ${items.map((i) => i.candidate.keywords.join(JOIN))}::text[],
      ${items.map((i) => i.candidate.reasons.join(JOIN))}::text[]
    ) AS x(digest_id, subscriber_id, paper_id, position, score, topics, keywords, reasons)
    ON CONFLICT DO NOTHING`;
}

/** A digest with no new matching paper is recorded as skipped, not sent empty. */
export async function skipEmptyDigests(tx: Tx, digestIds: string[], now: Date) {
  return tx.$executeRaw`
    UPDATE digests d SET status = 'skipped', last_error = 'no new matching papers', updated_at = ${now}
    WHERE d.id = ANY(${digestIds}::uuid[]) AND NOT EXISTS (SELECT 1 FROM digest_items i WHERE i.digest_id = d.id)`;
}

/**
 * Active subscribers whose delivery hour has come on their local date (weekly readers: on their weekday) and who have
 * no digest for it (weekly readers: none in the six days before either). The first digest is the first delivery hour
 * after the reader confirmed: one who confirmed at 17:53 with a 07:00 hour gets tomorrow's, not today's at the 18:00
 * tick (subscriptions/schedule.ts says the same on the pages). Local date and hour come from each subscriber's IANA
 * time zone, inside PostgreSQL.
 */
export async function findDueSubscribers(db: Pick<Tx, "$queryRaw">, now: Date, limit: number, afterId: string | null) {
  return db.$queryRaw<{ subscriberId: string; localDate: string }[]>`
    SELECT s.id AS "subscriberId", to_char(l.local_now::date, 'YYYY-MM-DD') AS "localDate"
    FROM subscribers s CROSS JOIN LATERAL (SELECT ${localNow(now)} AS local_now) l
    WHERE s.status = 'active'
      AND l.local_now IS NOT NULL
      AND extract(hour FROM l.local_now) >= s.send_hour
      AND (s.cadence = 'daily' OR extract(isodow FROM l.local_now) = s.weekday)
      AND (s.confirmed_at IS NULL OR (l.local_now::date + make_time(s.send_hour, 0, 0)) AT TIME ZONE s.timezone >= s.confirmed_at)
      AND NOT EXISTS (
        SELECT 1 FROM digests d WHERE d.subscriber_id = s.id
          AND d.local_date BETWEEN l.local_now::date - (CASE WHEN s.cadence = 'weekly' THEN 6 ELSE 0 END) AND l.local_now::date)
      AND (${afterId}::uuid IS NULL OR s.id > ${afterId}::uuid)
    ORDER BY s.id
    LIMIT ${limit}`;
}

/**
 * The subscriber's local time at `now`, or NULL for a zone PostgreSQL does not know. CASE makes the check come
 * first: an unknown zone in AT TIME ZONE would fail the whole query, and so everyone's digest (input is validated;
 * this guards older rows).
 */
function localNow(now: Date) {
  return Prisma.sql`CASE WHEN s.timezone IN (SELECT name FROM pg_timezone_names) THEN ${now}::timestamptz AT TIME ZONE s.timezone END`;
}

/**
 * Every active subscriber, with the given date or their own local date (for `digest run`); weekly readers only when
 * that date is their weekday and they had no digest in the six days before.
 */
export async function listActiveSubscribers(db: Pick<Tx, "$queryRaw">, now: Date, date: string | null, limit: number, afterId: string | null) {
  return db.$queryRaw<{ subscriberId: string; localDate: string }[]>`
    SELECT s.id AS "subscriberId", to_char(l.day, 'YYYY-MM-DD') AS "localDate"
    FROM subscribers s
    CROSS JOIN LATERAL (SELECT ${localNow(now)} AS local_now) n
    CROSS JOIN LATERAL (SELECT coalesce(${date}::date, n.local_now::date) AS day) l
    WHERE s.status = 'active' AND n.local_now IS NOT NULL AND (${afterId}::uuid IS NULL OR s.id > ${afterId}::uuid)
      AND (s.cadence = 'daily' OR (extract(isodow FROM l.day) = s.weekday
        AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.subscriber_id = s.id AND d.local_date BETWEEN l.day - 6 AND l.day - 1)))
    ORDER BY s.id
    LIMIT ${limit}`;
}

/** Every keyword an active reader follows (the matcher keeps their matches current before planning). */
export async function listActiveKeywords(db: Pick<Tx, "$queryRaw">): Promise<string[]> {
  const rows = await db.$queryRaw<{ keyword: string }[]>`SELECT DISTINCT unnest(keywords) AS keyword FROM subscribers WHERE status = 'active' AND keywords <> '{}'`;
  return rows.map((r) => r.keyword);
}
