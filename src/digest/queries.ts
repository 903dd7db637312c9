// Set-based SQL for planning: a few statements per batch of readers, none per reader. Raw SQL because Prisma cannot
// express the trend formula, time-zone arithmetic or bulk INSERT ... SELECT FROM unnest; the per-batch statements go
// straight to the pg pool (Prisma's per-statement work on arrays of 25,000 values cost more than PostgreSQL's). What a
// planning run reads and writes takes a pg pool or connection, never the Prisma client: the lean planning process
// (planner-process.ts) has none.
import type pg from "pg";
import type { Db } from "../db/client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { trendQuery } from "../sources/trend.ts";
import type { Evidence } from "./evidence.ts";
import { DIGEST_PAPER_FIELDS, type DigestContent } from "./render.ts";

type Tx = Prisma.TransactionClient;
/** Prisma keeps DateTime as UTC in `timestamp without time zone`: an ISO string (its Z ignored there) stores the same. */
const utc = (date: Date) => date.toISOString();
/**
 * A PostgreSQL array literal of values that need no quoting (uuids, numbers, ISO dates), for large batch parameters:
 * node-pg would otherwise quote and escape every element (a measurable share of planning's CPU).
 */
const arrayLiteral = (values: readonly (string | number)[]) => `{${values.join(",")}}`;

/** A connection or the pool: the planner reads history inside its transaction, the rest on the pool. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** What a planning run ranks from: candidate papers' trends, and the topic and keyword matches and vectors of those. */
export async function loadRankingRows(db: Queryable, now: Date, windowDays: number) {
  // Raw SQL: the trend formula (src/sources/trend.ts) runs in PostgreSQL, over the papers inside the trending window.
  const trend = trendQuery(now, windowDays);
  const { rows: trends } = await db.query<{ paperId: number; trend: number }>(`SELECT paper_id AS "paperId", trend FROM (${trend.text}) t`, trend.values);
  const ids = arrayLiteral(trends.map((t) => t.paperId));
  const [topicMatches, keywordMatches, vectors] = await Promise.all([
    db.query<{ topicId: number; slug: string; paperId: number; relevance: number; reason: string }>(
      `SELECT tp.topic_id AS "topicId", t.slug, tp.paper_id AS "paperId", tp.relevance, tp.reason
       FROM topic_papers tp JOIN topics t ON t.id = tp.topic_id WHERE tp.paper_id = ANY($1::int[])`,
      [ids],
    ),
    db.query<{ keyword: string; paperId: number; relevance: number; reason: string }>(
      `SELECT keyword, paper_id AS "paperId", relevance, reason FROM keyword_papers WHERE paper_id = ANY($1::int[])`,
      [ids],
    ),
    db.query<{ paperId: number; term: string; weight: number }>(`SELECT paper_id AS "paperId", term, weight FROM paper_terms WHERE paper_id = ANY($1::int[])`, [ids]),
  ]);
  return { trends, topicMatches: topicMatches.rows, keywordMatches: keywordMatches.rows, vectors: vectors.rows };
}

/** Every keyword an active reader follows (the matcher keeps their matches current before planning). */
export async function listActiveKeywords(db: Pick<Tx, "$queryRaw">): Promise<string[]> {
  const rows = await db.$queryRaw<{ keyword: string }[]>`SELECT DISTINCT unnest(keywords) AS keyword FROM subscribers WHERE status = 'active' AND keywords <> '{}'`;
  return rows.map((r) => r.keyword);
}

/** Which of the active readers' time zones PostgreSQL knows (once per run; AT TIME ZONE with an unknown one would fail
 * the whole batch: input is validated, this guards older rows and a PostgreSQL with an older zone database). */
export async function knownTimeZones(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT name FROM pg_timezone_names WHERE name IN (SELECT DISTINCT timezone FROM subscribers WHERE status = 'active')`,
  );
  return rows.map((r) => r.name);
}

export interface ReaderPreferences {
  subscriberId: string;
  topicIds: number[];
  keywords: string[];
  maxPapers: number;
  hasProfile: boolean;
}

export interface DueReader extends ReaderPreferences {
  /** The reader's date the digest is for, YYYY-MM-DD. */
  localDate: string;
}

/** Which readers a planning pass covers: those whose hour has come today and who have no digest for it, or all. */
export type ReaderSelection = { kind: "due" } | { kind: "all"; date: string | null };

/**
 * Lists come as text joined by a separator no item holds (keywords cannot hold control characters: input.ts), split
 * here: node-pg's array parser builds each item a character at a time (measured: 1 GB of garbage per 100,000 readers).
 */
const SEPARATOR = "\u001d";
const splitList = (text: string | null) => (text ? text.split(SEPARATOR) : []);
const splitNumbers = (text: string | null) => (text ? text.split(",").map(Number) : []);

const PREFERENCES = `s.id::text AS "subscriberId", array_to_string(s.keywords, chr(29)) AS keywords, s.max_papers AS "maxPapers",
  (SELECT string_agg(st.topic_id::text, ',') FROM subscriber_topics st WHERE st.subscriber_id = s.id) AS "topicIds",
  EXISTS (SELECT 1 FROM reader_profile_terms rp WHERE rp.subscriber_id = s.id) AS "hasProfile"`;
type PreferenceRow = Omit<ReaderPreferences, "topicIds" | "keywords"> & { topicIds: string | null; keywords: string | null };
const preferencesOf = <R extends PreferenceRow>(r: R) => ({ ...r, topicIds: splitNumbers(r.topicIds), keywords: splitList(r.keywords) });

/**
 * The last id of the page of `$2` subscribers after id `$1` (null: from the first), walking the primary key. Ordered by
 * the column, not by the text it is selected as (`ORDER BY id` would name the output): that text sort read and sorted
 * every subscriber after the page start, for every page (measured: 23 s of 1M readers' planning, 115 ms per page).
 */
export const PAGE_END = `SELECT s.id::text AS id FROM subscribers s WHERE ($1::uuid IS NULL OR s.id > $1::uuid) ORDER BY s.id OFFSET $2 - 1 LIMIT 1`;

/**
 * The readers of the selection among the next `limit` subscribers after `afterId` (in id order), with their preferences
 * and local date, and the last id of that page (null: it was the last page). The page is taken first, as a range of
 * the primary key, so the plan never depends on statistics: right after a bulk load, without them, PostgreSQL
 * scanned and sorted every active reader for each batch (measured: 36 s instead of 1 s for 300,000 readers). Local
 * date and hour come from each reader's IANA time zone, inside PostgreSQL.
 * Due: the delivery hour has come on their local date (weekly readers: on their weekday) and they have no digest for it
 * (weekly readers: none in the six days before either). The first digest is the first delivery hour after the reader
 * confirmed: one who confirmed at 17:53 with a 07:00 hour gets tomorrow's, not today's at the 18:00 tick
 * (subscriptions/schedule.ts says the same on the pages). All (`digest run`): the given date or their own local
 * today, whatever the hour; weekly readers only when that date is their weekday and they had no digest in the six
 * days before.
 */
export async function loadReaders(
  pool: Queryable,
  selection: ReaderSelection,
  now: Date,
  zones: string[],
  limit: number,
  afterId: string | null,
): Promise<{ readers: DueReader[]; pageEnd: string | null }> {
  const due = selection.kind === "due";
  const { rows: ends } = await pool.query<{ id: string }>(PAGE_END, [afterId, limit]);
  const pageEnd = ends[0]?.id ?? null;
  const { rows } = await pool.query<PreferenceRow & { localDate: string }>(
    `SELECT ${PREFERENCES}, to_char(d.day, 'YYYY-MM-DD') AS "localDate"
     FROM subscribers s
     CROSS JOIN LATERAL (SELECT CASE WHEN s.timezone = ANY($2::text[]) THEN $1::timestamptz AT TIME ZONE s.timezone END AS local_now) l
     CROSS JOIN LATERAL (SELECT ${due ? "l.local_now::date" : "coalesce($5::date, l.local_now::date)"} AS day) d
     WHERE s.status = 'active' AND l.local_now IS NOT NULL AND ($3::uuid IS NULL OR s.id > $3::uuid) AND ($4::uuid IS NULL OR s.id <= $4::uuid)
       ${
         due
           ? `AND extract(hour FROM l.local_now) >= s.send_hour
       AND (s.cadence = 'daily' OR extract(isodow FROM d.day) = s.weekday)
       AND (s.confirmed_at IS NULL OR (d.day + make_time(s.send_hour, 0, 0)) AT TIME ZONE s.timezone >= s.confirmed_at)
       AND NOT EXISTS (SELECT 1 FROM digests x WHERE x.subscriber_id = s.id
         AND x.local_date BETWEEN d.day - (CASE WHEN s.cadence = 'weekly' THEN 6 ELSE 0 END) AND d.day)`
           : `AND (s.cadence = 'daily' OR (extract(isodow FROM d.day) = s.weekday
         AND NOT EXISTS (SELECT 1 FROM digests x WHERE x.subscriber_id = s.id AND x.local_date BETWEEN d.day - 6 AND d.day - 1)))`
       }
     ORDER BY s.id`,
    due ? [utc(now), zones, afterId, pageEnd] : [utc(now), zones, afterId, pageEnd, selection.date],
  );
  return { readers: rows.map(preferencesOf), pageEnd };
}

/** These readers' preferences (the preview's one reader). */
export async function loadPreferences(db: Queryable, subscriberIds: string[]): Promise<ReaderPreferences[]> {
  const { rows } = await db.query<PreferenceRow>(`SELECT ${PREFERENCES} FROM subscribers s WHERE s.id = ANY($1::uuid[])`, [subscriberIds]);
  return rows.map(preferencesOf);
}

/**
 * The date from which a reader's digests can hold a paper of the trending window: a digest holding a window paper was
 * planned after the paper was first seen (at most `windowDays` before `now`), and a digest's date is at most a day
 * before the day it was planned, unless it was planned for a past date (`digest run --date`; the partial index
 * digests_backdated_idx finds those). One more day for clocks that disagree.
 */
export function historySince(now: Date, windowDays: number): string {
  return new Date(now.getTime() - (windowDays + 2) * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The papers these readers were sent (or will be: digests planned or being sent; a skipped or failed digest's papers
 * went to nobody) in their digests from `since` on and in digests planned for a past date: everything of the window
 * they can have had (historySince). Two index range scans per reader, on the (subscriber_id, local_date) key and the
 * partial index of past-date digests (normally empty).
 */
export async function loadSentPapers(db: Queryable, subscriberIds: string[], since: string): Promise<Map<string, Set<number>>> {
  const { rows } = await db.query<{ subscriberId: string; paperIds: string }>(
    `SELECT d.subscriber_id::text AS "subscriberId", string_agg(p.id::text, ',') AS "paperIds"
     FROM (SELECT subscriber_id, paper_ids FROM digests
           WHERE subscriber_id = ANY($1::uuid[]) AND local_date >= $2::date AND status IN ('planned', 'sending', 'sent')
           UNION ALL
           SELECT subscriber_id, paper_ids FROM digests
           WHERE subscriber_id = ANY($1::uuid[]) AND local_date < (planned_at::date - 1) AND local_date < $2::date AND status IN ('planned', 'sending', 'sent')) d
     CROSS JOIN LATERAL unnest(d.paper_ids) AS p(id)
     GROUP BY d.subscriber_id`,
    [arrayLiteral(subscriberIds), since],
  );
  return new Map(rows.map((r) => [r.subscriberId, new Set(splitNumbers(r.paperIds))]));
}

/**
 * Locks these readers' rows (in id order, so that planners never wait on each other in a cycle) and returns those
 * still active and not suppressed. Held until the planning transaction ends: another planner of the same reader (a
 * `digest run` for another date, a second process) waits, then sees this one's digest in the reader's history.
 */
export async function lockReaders(client: pg.ClientBase, subscriberIds: string[]): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT s.id::text AS id FROM subscribers s
     WHERE s.id = ANY($1::uuid[]) AND s.status = 'active' AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email = s.email)
     ORDER BY s.id
     FOR NO KEY UPDATE OF s`,
    [arrayLiteral(subscriberIds)],
  );
  return rows.map((r) => r.id);
}

/** These readers' feedback profiles (terms and weights; one row per reader). */
export async function loadProfiles(db: Queryable, subscriberIds: string[]): Promise<Map<string, { term: string; weight: number }[]>> {
  if (subscriberIds.length === 0) return new Map();
  // Both lists aggregate the same rows in the same order (one pass); float8 as text reads back exactly.
  const { rows } = await db.query<{ subscriberId: string; terms: string; weights: string }>(
    `SELECT subscriber_id::text AS "subscriberId", string_agg(term, chr(29)) AS terms, string_agg(weight::text, ',') AS weights
     FROM reader_profile_terms WHERE subscriber_id = ANY($1::uuid[]) GROUP BY subscriber_id`,
    [arrayLiteral(subscriberIds)],
  );
  return new Map(
    rows.map((p) => {
      const weights = splitNumbers(p.weights);
      return [p.subscriberId, splitList(p.terms).map((term, i) => ({ term, weight: weights[i]! }))];
    }),
  );
}

/** The papers these readers liked (most recent first): to name the closest in "Because you liked". */
export async function loadLikedPapers(db: Queryable, subscriberIds: string[]) {
  const { rows } = await db.query<{ subscriberId: string; paperId: number; title: string }>(
    `SELECT f.subscriber_id::text AS "subscriberId", f.paper_id AS "paperId", p.display_title AS title
     FROM feedback f JOIN papers p ON p.id = f.paper_id
     WHERE f.subscriber_id = ANY($1::uuid[]) AND f.value > 0`,
    [subscriberIds],
  );
  return rows;
}

/** Term vectors of these papers (liked papers outside the trending window, which the run has not loaded). */
export async function loadPaperVectors(db: Queryable, paperIds: number[]): Promise<Map<number, Map<string, number>>> {
  const out = new Map<number, Map<string, number>>(paperIds.map((id) => [id, new Map()]));
  if (paperIds.length === 0) return out;
  const { rows } = await db.query<{ paperId: number; term: string; weight: number }>(
    `SELECT paper_id AS "paperId", term, weight FROM paper_terms WHERE paper_id = ANY($1::int[])`,
    [paperIds],
  );
  for (const r of rows) out.get(r.paperId)!.set(r.term, r.weight);
  return out;
}

/**
 * Database ids of this evidence, storing what is new (fingerprint unique: concurrent runs store each once). Outside
 * the batch's transaction, so a rolled-back batch leaves only reusable rows.
 */
export async function storeEvidence(pool: Queryable, rows: { fingerprint: string; evidence: Evidence }[]): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  const fingerprints = rows.map((r) => r.fingerprint);
  // Lists of lists do not fit unnest: each list travels as one text, joined by U+001D (no list item holds it).
  await pool.query(
    `INSERT INTO digest_evidence (paper_id, fingerprint, topics, keywords, reasons)
     SELECT x.paper_id, x.fingerprint, coalesce(string_to_array(nullif(x.topics, ''), chr(29)), '{}'), coalesce(string_to_array(nullif(x.keywords, ''), chr(29)), '{}'), coalesce(string_to_array(nullif(x.reasons, ''), chr(29)), '{}')
     FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(paper_id, fingerprint, topics, keywords, reasons)
     ON CONFLICT (fingerprint) DO NOTHING`,
    [rows.map((r) => r.evidence.paperId), fingerprints, ...(["topics", "keywords", "reasons"] as const).map((k) => rows.map((r) => r.evidence[k].join("\u001d")))],
  );
  const { rows: stored } = await pool.query<{ id: number; fingerprint: string }>(`SELECT id, fingerprint FROM digest_evidence WHERE fingerprint = ANY($1::text[])`, [fingerprints]);
  return new Map(stored.map((r) => [r.fingerprint, r.id]));
}

/** A digest to create: its papers in email order, each with its digest_evidence id; none: skipped. */
export interface NewDigest {
  id: string;
  subscriberId: string;
  localDate: string;
  paperIds: number[];
  evidenceIds: number[];
}

/**
 * Creates the batch's digest rows that do not exist yet (unique per reader and local date): planned with their papers,
 * or skipped when no new paper was left. Returns the rows created. The readers were locked and checked by lockReaders.
 * The papers travel as one flat array and each digest's slice of it (an array of arrays has no row-sized literal).
 */
export async function insertDigests(client: pg.ClientBase, digests: NewDigest[], now: Date): Promise<{ id: string; planned: boolean }[]> {
  if (digests.length === 0) return [];
  const starts: number[] = [];
  const counts: number[] = [];
  let start = 1;
  for (const d of digests) {
    starts.push(start);
    counts.push(d.paperIds.length);
    start += d.paperIds.length;
  }
  const { rows } = await client.query<{ id: string; planned: boolean }>(
    `INSERT INTO digests (id, subscriber_id, local_date, status, last_error, planned_at, updated_at, paper_ids, evidence_ids)
     SELECT d.id, d.subscriber_id, d.local_date, CASE WHEN d.n = 0 THEN 'skipped' ELSE 'planned' END::digest_status,
            CASE WHEN d.n = 0 THEN 'no new matching papers' END, $6, $6,
            ($7::int[])[d.start:d.start + d.n - 1], ($8::int[])[d.start:d.start + d.n - 1]
     FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::int[], $5::int[]) AS d(id, subscriber_id, local_date, start, n)
     ON CONFLICT (subscriber_id, local_date) DO NOTHING
     RETURNING id::text, status = 'planned' AS planned`,
    [
      arrayLiteral(digests.map((d) => d.id)),
      arrayLiteral(digests.map((d) => d.subscriberId)),
      arrayLiteral(digests.map((d) => d.localDate)),
      arrayLiteral(starts),
      arrayLiteral(counts),
      utc(now),
      arrayLiteral(digests.flatMap((d) => d.paperIds)),
      arrayLiteral(digests.flatMap((d) => d.evidenceIds)),
    ],
  );
  return rows;
}

/** The papers of these digests, in order, with why each is there: what send, the digest page and the preview show. */
export async function loadDigestPapers(db: Db, digestIds: string[]): Promise<Map<string, DigestContent["papers"]>> {
  const digests = await db.digest.findMany({ where: { id: { in: digestIds } }, select: { id: true, paperIds: true, evidenceIds: true } });
  const [papers, evidence] = await Promise.all([
    db.paper.findMany({ where: { id: { in: [...new Set(digests.flatMap((d) => d.paperIds))] } }, select: DIGEST_PAPER_FIELDS }),
    db.digestEvidence.findMany({ where: { id: { in: [...new Set(digests.flatMap((d) => d.evidenceIds))] } } }),
  ]);
  const paperById = new Map(papers.map((p) => [p.id, p]));
  const evidenceById = new Map(evidence.map((e) => [e.id, e]));
  const out = new Map<string, DigestContent["papers"]>(digestIds.map((id) => [id, []]));
  for (const d of digests) {
    const list = out.get(d.id)!;
    d.paperIds.forEach((paperId, i) => {
      const paper = paperById.get(paperId);
      const why = evidenceById.get(d.evidenceIds[i]!);
      // A paper deleted since planning is left out (its id stays in the digest's list).
      if (paper) list.push({ ...paper, matchedTopics: why?.topics ?? [], matchedKeywords: why?.keywords ?? [], reasons: why?.reasons ?? [] });
    });
  }
  return out;
}
