// Set-based SQL for planning: one statement per batch of subscribers, not one query per subscriber and topic.
// Raw SQL because Prisma cannot express tsquery matching, window functions or INSERT ... SELECT.
import { Prisma } from "../generated/prisma/client.ts";
import { TREND, trendQuery } from "../sources/trend.ts";
import { RANKING } from "../topics/ranking.ts";

type Tx = Prisma.TransactionClient;

/**
 * Every (topic, paper) and (keyword, paper) match with its relevance, and each matched paper's trend factor
 * (src/sources/trend.ts), computed once per planning transaction instead of once per reader.
 */
export async function createMatchTables(tx: Tx, subscriberIds: string[], now: Date, windowDays: number = TREND.windowDays) {
  const weights = `{${RANKING.weights.join(",")}}`;
  await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS topic_matches, keyword_matches, paper_trends`);
  await tx.$executeRaw`
    CREATE TEMP TABLE topic_matches ON COMMIT DROP AS
    SELECT t.id AS topic_id, t.slug AS topic_slug, p.id AS paper_id, ts_rank(${weights}::float4[], p.search_vector, t.query::tsquery)::float8 AS relevance
    FROM topics t JOIN papers p ON p.search_vector @@ t.query::tsquery`;
  // Keywords: each distinct keyword of the batch is matched once, however many readers share it.
  await tx.$executeRaw`
    CREATE TEMP TABLE keyword_matches ON COMMIT DROP AS
    SELECT k.keyword, p.id AS paper_id, ${RANKING.keywordBoost}::float8 * ts_rank(${weights}::float4[], p.search_vector, k.query) AS relevance
    FROM (SELECT keyword, websearch_to_tsquery('english', keyword) AS query
          FROM (SELECT DISTINCT unnest(keywords) AS keyword FROM subscribers WHERE id = ANY(${subscriberIds}::uuid[])) d) k
    JOIN papers p ON p.search_vector @@ k.query
    WHERE k.query::text <> ''`;
  // The trend factor (src/sources/trend.ts), once per matched paper; papers first seen before the trending window
  // get no row, and so are no candidates.
  await tx.$executeRaw`
    CREATE TEMP TABLE paper_trends ON COMMIT DROP AS
    ${trendQuery(now, windowDays, Prisma.sql`p.id IN (SELECT paper_id FROM topic_matches UNION SELECT paper_id FROM keyword_matches)`)}`;
  await tx.$executeRawUnsafe(`CREATE INDEX ON topic_matches (topic_id)`);
  await tx.$executeRawUnsafe(`CREATE INDEX ON keyword_matches (keyword)`);
  await tx.$executeRawUnsafe(`ANALYZE topic_matches, keyword_matches, paper_trends`);
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

/** Picks each new digest's papers: best score first, never a paper the subscriber was sent before. */
export async function insertDigestItems(tx: Tx, digestIds: string[]) {
  // The batch's digests and their readers' topics as small temp tables with statistics, so PostgreSQL starts from
  // the batch instead of joining every reader's topics with every match (which cost 4× at 20k readers, 20× at 100k).
  await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS batch_digests, batch_topics`);
  await tx.$executeRaw`
    CREATE TEMP TABLE batch_digests ON COMMIT DROP AS
    SELECT d.id AS digest_id, d.subscriber_id, s.max_papers, s.keywords
    FROM digests d JOIN subscribers s ON s.id = d.subscriber_id
    WHERE d.id = ANY(${digestIds}::uuid[])`;
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE batch_topics ON COMMIT DROP AS
    SELECT bd.digest_id, bd.subscriber_id, st.topic_id FROM batch_digests bd JOIN subscriber_topics st ON st.subscriber_id = bd.subscriber_id`);
  await tx.$executeRawUnsafe(`ANALYZE batch_digests, batch_topics`);
  return tx.$executeRawUnsafe(`
    WITH candidate AS (
      SELECT bt.digest_id, bt.subscriber_id, m.paper_id, m.relevance, m.topic_slug AS topic, NULL::text AS keyword
      FROM batch_topics bt JOIN topic_matches m ON m.topic_id = bt.topic_id
      UNION ALL
      SELECT bd.digest_id, bd.subscriber_id, km.paper_id, km.relevance, NULL, km.keyword
      FROM batch_digests bd CROSS JOIN LATERAL unnest(bd.keywords) AS kw(keyword) JOIN keyword_matches km ON km.keyword = kw.keyword
    ),
    -- No DISTINCT in the aggregates: a reader's topics and keywords are distinct already, and without it PostgreSQL
    -- can hash-aggregate instead of sorting every candidate row.
    scored AS (
      SELECT c.digest_id, c.subscriber_id, c.paper_id, sum(c.relevance) AS relevance,
             coalesce(array_agg(c.topic) FILTER (WHERE c.topic IS NOT NULL), '{}') AS topics,
             coalesce(array_agg(c.keyword) FILTER (WHERE c.keyword IS NOT NULL), '{}') AS keywords
      FROM candidate c
      WHERE NOT EXISTS (SELECT 1 FROM digest_items di WHERE di.subscriber_id = c.subscriber_id AND di.paper_id = c.paper_id)
      GROUP BY c.digest_id, c.subscriber_id, c.paper_id
    ),
    ranked AS (
      SELECT sc.*, sc.relevance * pt.trend AS score,
             row_number() OVER (PARTITION BY sc.digest_id ORDER BY sc.relevance * pt.trend DESC, pt.trend DESC, sc.paper_id) AS position
      FROM scored sc JOIN paper_trends pt ON pt.paper_id = sc.paper_id
    )
    INSERT INTO digest_items (digest_id, subscriber_id, paper_id, position, score, matched_topics, matched_keywords)
    SELECT r.digest_id, r.subscriber_id, r.paper_id, r.position, r.score, r.topics, r.keywords
    FROM ranked r JOIN batch_digests bd ON bd.digest_id = r.digest_id
    WHERE r.position <= bd.max_papers
    ON CONFLICT DO NOTHING`);
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
