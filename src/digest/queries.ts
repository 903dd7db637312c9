// Set-based SQL for planning: one statement per batch of subscribers, not one query per subscriber and topic.
// Raw SQL because Prisma cannot express tsquery matching, window functions or INSERT ... SELECT.
import { Prisma } from "../generated/prisma/client.ts";
import { TREND, trendQuery } from "../sources/trend.ts";
import { RANKING } from "../topics/ranking.ts";
import { FIELD_SQL } from "../topics/reasons.ts";

type Tx = Prisma.TransactionClient;

/**
 * The batch's candidates: its readers' topic and keyword matches (precomputed by the matcher, shared by everyone with
 * the same topic or keyword), each reader's affinity to papers through their feedback profile, and each candidate
 * paper's trend factor. Temp tables, one set per planning transaction.
 */
export async function createMatchTables(tx: Tx, digestIds: string[], now: Date, windowDays: number = TREND.windowDays) {
  const f = RANKING.feedback;
  // The batch's digests and their readers' topics as small temp tables with statistics, so PostgreSQL starts from
  // the batch instead of joining every reader's topics with every match (which cost 4× at 20k readers, 20× at 100k).
  await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS batch_digests, batch_topics, batch_candidates, batch_affinity, batch_profiled, paper_trends`);
  await tx.$executeRaw`
    CREATE TEMP TABLE batch_digests ON COMMIT DROP AS
    SELECT d.id AS digest_id, d.subscriber_id, s.max_papers, s.keywords
    FROM digests d JOIN subscribers s ON s.id = d.subscriber_id
    WHERE d.id = ANY(${digestIds}::uuid[])`;
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE batch_topics ON COMMIT DROP AS
    SELECT bd.digest_id, bd.subscriber_id, st.topic_id, t.slug FROM batch_digests bd
    JOIN subscriber_topics st ON st.subscriber_id = bd.subscriber_id JOIN topics t ON t.id = st.topic_id`);
  await tx.$executeRawUnsafe(`ANALYZE batch_digests, batch_topics`);
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE batch_candidates ON COMMIT DROP AS
    SELECT bt.digest_id, bt.subscriber_id, tp.paper_id, tp.relevance, bt.slug AS topic, NULL::text AS keyword,
           'topic' || ${FIELD_SQL} || bt.slug || ${FIELD_SQL} || tp.reason AS reason
    FROM batch_topics bt JOIN topic_papers tp ON tp.topic_id = bt.topic_id
    UNION ALL
    SELECT bd.digest_id, bd.subscriber_id, kp.paper_id, ${RANKING.keywordBoost}::float8 * kp.relevance, NULL, kp.keyword,
           'keyword' || ${FIELD_SQL} || kp.keyword || ${FIELD_SQL} || kp.reason
    FROM batch_digests bd CROSS JOIN LATERAL unnest(bd.keywords) AS kw(keyword) JOIN keyword_papers kp ON kp.keyword = kw.keyword`);
  // Affinity = profile · paper vector, for the readers who gave feedback (the profile holds their strongest terms).
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE batch_affinity ON COMMIT DROP AS
    SELECT bd.digest_id, bd.subscriber_id, pt.paper_id, sum(rp.weight * pt.weight)::float8 AS affinity
    FROM batch_digests bd JOIN reader_profile_terms rp ON rp.subscriber_id = bd.subscriber_id JOIN paper_terms pt ON pt.term = rp.term
    GROUP BY bd.digest_id, bd.subscriber_id, pt.paper_id
    HAVING abs(sum(rp.weight * pt.weight)) >= 0.01`);
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE batch_profiled ON COMMIT DROP AS
    SELECT DISTINCT bd.digest_id FROM batch_digests bd JOIN reader_profile_terms rp ON rp.subscriber_id = bd.subscriber_id`);
  // The trend factor (src/sources/trend.ts), once per candidate paper; papers first seen before the trending window
  // get no row, and so are no candidates.
  await tx.$executeRaw`
    CREATE TEMP TABLE paper_trends ON COMMIT DROP AS
    ${trendQuery(now, windowDays, Prisma.sql`p.id IN (SELECT paper_id FROM batch_candidates UNION SELECT paper_id FROM batch_affinity WHERE affinity >= ${f.entryAffinity})`)}`;
  await tx.$executeRawUnsafe(`CREATE INDEX ON batch_affinity (digest_id, paper_id)`);
  await tx.$executeRawUnsafe(`ANALYZE batch_candidates, batch_affinity, paper_trends`);
}

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

/** Picks each new digest's papers: best score first (ranking.ts), never a paper the subscriber was sent before. */
export async function insertDigestItems(tx: Tx, digestIds: string[]) {
  const f = RANKING.feedback;
  const inserted = await tx.$executeRawUnsafe(`
    WITH scored AS (
      -- No DISTINCT in the aggregates: a reader's topics and keywords are distinct already, and without it PostgreSQL
      -- can hash-aggregate instead of sorting every candidate row.
      SELECT c.digest_id, c.subscriber_id, c.paper_id, sum(c.relevance) AS relevance,
             coalesce(array_agg(c.topic) FILTER (WHERE c.topic IS NOT NULL), '{}') AS topics,
             coalesce(array_agg(c.keyword) FILTER (WHERE c.keyword IS NOT NULL), '{}') AS keywords,
             array_agg(c.reason ORDER BY c.relevance DESC) AS reasons
      FROM batch_candidates c
      GROUP BY c.digest_id, c.subscriber_id, c.paper_id
    ),
    joined AS (
      SELECT coalesce(s.digest_id, a.digest_id) AS digest_id, coalesce(s.subscriber_id, a.subscriber_id) AS subscriber_id,
             coalesce(s.paper_id, a.paper_id) AS paper_id, coalesce(s.relevance, 0) AS relevance, coalesce(a.affinity, 0) AS affinity,
             coalesce(s.topics, '{}') AS topics, coalesce(s.keywords, '{}') AS keywords, coalesce(s.reasons, ARRAY['liked']) AS reasons
      FROM scored s FULL JOIN batch_affinity a ON a.digest_id = s.digest_id AND a.paper_id = s.paper_id
      WHERE (s.digest_id IS NOT NULL OR a.affinity >= ${f.entryAffinity}) AND coalesce(a.affinity, 0) >= ${f.dropAffinity}
    ),
    fresh AS (
      SELECT j.* FROM joined j
      WHERE NOT EXISTS (SELECT 1 FROM digest_items di WHERE di.subscriber_id = j.subscriber_id AND di.paper_id = j.paper_id)
    ),
    ranked AS (
      SELECT j.*, s.worth * pt.trend AS score,
             row_number() OVER (PARTITION BY j.digest_id ORDER BY s.worth * pt.trend DESC, pt.trend DESC, j.paper_id) AS position
      FROM fresh j JOIN paper_trends pt ON pt.paper_id = j.paper_id
      CROSS JOIN LATERAL (
        SELECT (j.relevance + CASE WHEN j.relevance = 0 THEN ${f.entryWeight}::float8 * j.affinity ELSE 0 END)
               * least(${f.maxFactor}::float8, greatest(${f.minFactor}::float8, exp(${f.affinityScale}::float8 * j.affinity))) AS worth
      ) s
      -- A reader who gave feedback gets a paper only if it is still worth sending after their profile has spoken.
      WHERE s.worth >= ${f.profileFloor} OR NOT EXISTS (SELECT 1 FROM batch_profiled bp WHERE bp.digest_id = j.digest_id)
    )
    INSERT INTO digest_items (digest_id, subscriber_id, paper_id, position, score, matched_topics, matched_keywords, reasons)
    SELECT r.digest_id, r.subscriber_id, r.paper_id, r.position, r.score, r.topics, r.keywords, r.reasons
    FROM ranked r JOIN batch_digests bd ON bd.digest_id = r.digest_id
    WHERE r.position <= bd.max_papers
    ON CONFLICT DO NOTHING`);
  await nameLikedPapers(tx, digestIds);
  return inserted;
}

/** A paper that entered on a reader's profile alone says which of the papers they liked it is closest to. */
async function nameLikedPapers(tx: Tx, digestIds: string[]) {
  await tx.$executeRaw`
    UPDATE digest_items di SET reasons = ARRAY['liked' || chr(31) || closest.title]
    FROM (
      SELECT DISTINCT ON (s.digest_id, s.paper_id) s.digest_id, s.paper_id, s.title
      FROM (
        SELECT di.digest_id, di.paper_id, p.display_title AS title, sum(a.weight * b.weight) AS similarity
        FROM digest_items di
        JOIN feedback f ON f.subscriber_id = di.subscriber_id AND f.value > 0
        JOIN papers p ON p.id = f.paper_id
        JOIN paper_terms a ON a.paper_id = di.paper_id
        JOIN paper_terms b ON b.paper_id = f.paper_id AND b.term = a.term
        WHERE di.digest_id = ANY(${digestIds}::uuid[]) AND di.reasons = ARRAY['liked']
        GROUP BY di.digest_id, di.paper_id, p.display_title
      ) s
      ORDER BY s.digest_id, s.paper_id, s.similarity DESC
    ) closest
    WHERE di.digest_id = closest.digest_id AND di.paper_id = closest.paper_id`;
}

/** A digest with no new matching paper is recorded as skipped, not sent empty. */
export async function skipEmptyDigests(tx: Tx, digestIds: string[], now: Date) {
  return tx.$executeRaw`
    UPDATE digests d SET status = 'skipped', last_error = 'no new matching papers', updated_at = ${now}
    WHERE d.id = ANY(${digestIds}::uuid[]) AND NOT EXISTS (SELECT 1 FROM digest_items i WHERE i.digest_id = d.id)`;
}

/**
 * Active subscribers whose delivery hour has come on their local date and who have no digest for it.
 * Local date and hour come from each subscriber's IANA time zone, inside PostgreSQL.
 */
export async function findDueSubscribers(db: Pick<Tx, "$queryRaw">, now: Date, limit: number, afterId: string | null) {
  return db.$queryRaw<{ subscriberId: string; localDate: string }[]>`
    SELECT s.id AS "subscriberId", to_char(l.local_now::date, 'YYYY-MM-DD') AS "localDate"
    FROM subscribers s CROSS JOIN LATERAL (SELECT ${localNow(now)} AS local_now) l
    WHERE s.status = 'active'
      AND l.local_now IS NOT NULL
      AND extract(hour FROM l.local_now) >= s.send_hour
      AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.subscriber_id = s.id AND d.local_date = l.local_now::date)
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

/** Every active subscriber, with the given date or their own local date (for `digest run`). */
export async function listActiveSubscribers(db: Pick<Tx, "$queryRaw">, now: Date, date: string | null, limit: number, afterId: string | null) {
  return db.$queryRaw<{ subscriberId: string; localDate: string }[]>`
    SELECT s.id AS "subscriberId", coalesce(${date}::text, to_char(l.local_now::date, 'YYYY-MM-DD')) AS "localDate"
    FROM subscribers s CROSS JOIN LATERAL (SELECT ${localNow(now)} AS local_now) l
    WHERE s.status = 'active' AND l.local_now IS NOT NULL AND (${afterId}::uuid IS NULL OR s.id > ${afterId}::uuid)
    ORDER BY s.id
    LIMIT ${limit}`;
}

/** Every keyword an active reader follows (the matcher keeps their matches current before planning). */
export async function listActiveKeywords(db: Pick<Tx, "$queryRaw">): Promise<string[]> {
  const rows = await db.$queryRaw<{ keyword: string }[]>`SELECT DISTINCT unnest(keywords) AS keyword FROM subscribers WHERE status = 'active' AND keywords <> '{}'`;
  return rows.map((r) => r.keyword);
}
