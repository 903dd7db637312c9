// SQL of the matcher: topic definitions as rows, each topic's matching papers, and corpus expansion. Raw SQL because
// these are set-based aggregations over every paper at once, which Prisma cannot express.
import type { Prisma } from "../generated/prisma/client.ts";
import { type TopicDefinition, topicWeights } from "./catalog.ts";
import { evidenceSql, RANKING } from "./ranking.ts";
import { FIELD, FIELD_SQL, ITEM, ITEM_SQL } from "./reasons.ts";
import type { Vocabulary } from "./vocabulary/index.ts";

type Tx = Prisma.TransactionClient;

/** The catalog's concept weights (narrower concepts included) and exclusions, as topic_concepts rows. */
export async function buildTopicConcepts(tx: Tx, catalog: TopicDefinition[], vocabulary: Vocabulary) {
  const topics = await tx.topic.findMany({ select: { id: true, slug: true } });
  const idOf = new Map(topics.map((t) => [t.slug, t.id]));
  const rows: { topicId: number; conceptId: string; weight: number; excluded: boolean }[] = [];
  for (const topic of catalog) {
    const topicId = idOf.get(topic.slug);
    if (topicId === undefined) continue;
    for (const [conceptId, weight] of topicWeights(vocabulary, topic)) rows.push({ topicId, conceptId, weight, excluded: false });
    for (const conceptId of vocabulary.withNarrower(topic.exclude ?? [])) {
      if (!rows.some((r) => r.topicId === topicId && r.conceptId === conceptId)) rows.push({ topicId, conceptId, weight: 0, excluded: true });
    }
  }
  await tx.$executeRaw`DELETE FROM topic_concepts`;
  await tx.$executeRaw`
    INSERT INTO topic_concepts (topic_id, concept_id, weight, excluded)
    SELECT * FROM unnest(${rows.map((r) => r.topicId)}::int[], ${rows.map((r) => r.conceptId)}::text[], ${rows.map((r) => r.weight)}::float8[], ${rows.map((r) => r.excluded)}::bool[])`;
}

/** Papers that are not about ML although they use some of its words (more evidence for other fields' concepts). */
export const NOT_ML = `(pi.ml_concepts < ${RANKING.minMlConcepts} OR pi.other_evidence > pi.ml_evidence * ${RANKING.otherFieldShare})`;

/**
 * Every topic's papers: Σ weight × evidence over the topic's concepts, kept when the evidence is in the title or the
 * abstract names the topic's concepts at least twice, and the paper is neither of another field nor about one of the
 * topic's excluded concepts. Then papers found by corpus expansion alone.
 */
export async function rebuildTopicMatches(tx: Tx) {
  await tx.$executeRaw`DELETE FROM topic_papers`;
  await tx.$executeRawUnsafe(`
    INSERT INTO topic_papers (topic_id, paper_id, relevance, reason)
    SELECT m.topic_id, m.paper_id, m.relevance, 'concept' || ${FIELD_SQL} || array_to_string(m.phrases[1:2], ${ITEM_SQL})
    FROM (
      SELECT tc.topic_id, pc.paper_id, sum(tc.weight * ${evidenceSql("pc")}) AS relevance,
             coalesce(sum(pc.title_hits) FILTER (WHERE tc.weight >= ${RANKING.supportingWeight}), 0) AS title_hits,
             coalesce(sum(pc.lead_hits + pc.body_hits) FILTER (WHERE tc.weight >= ${RANKING.supportingWeight}), 0) AS strong_abstract_hits,
             sum(pc.lead_hits + pc.body_hits) AS abstract_hits,
             count(*) AS concepts,
             array_agg(pc.surface ORDER BY tc.weight * ${evidenceSql("pc")} DESC, pc.concept_id) AS phrases
      FROM topic_concepts tc JOIN paper_concepts pc ON pc.concept_id = tc.concept_id
      WHERE NOT tc.excluded
      GROUP BY tc.topic_id, pc.paper_id
    ) m
    JOIN paper_index pi ON pi.paper_id = m.paper_id
    WHERE (m.title_hits > 0 OR (m.strong_abstract_hits > 0 AND m.abstract_hits >= ${RANKING.minAbstractHits}))
      AND m.relevance >= ${RANKING.minRelevance}
      AND NOT ${NOT_ML}
      -- ML vocabulary beyond the topic's own: a mathematics-education study naming "word problems" and "mathematical
      -- reasoning" speaks only the topic's words, an ML paper also those of models and training.
      AND pi.ml_concepts > m.concepts
      AND NOT EXISTS (
        SELECT 1 FROM topic_concepts x JOIN paper_concepts xc ON xc.concept_id = x.concept_id
        WHERE x.topic_id = m.topic_id AND x.excluded AND xc.paper_id = m.paper_id)`);
}

/**
 * Corpus expansion (pseudo-relevance feedback) for topics: the distinctive terms of each topic's best papers, and the
 * papers that use enough of them although they name none of the topic's concepts. Bounded: a handful of terms per
 * topic, several must co-occur, the paper must speak ML vocabulary, and excluded concepts still exclude.
 */
export async function rebuildTopicExpansions(tx: Tx) {
  await tx.$executeRaw`DELETE FROM topic_expansions`;
  await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS query_matches`);
  await tx.$executeRawUnsafe(`CREATE TEMP TABLE query_matches ON COMMIT DROP AS SELECT topic_id::text AS query, paper_id, relevance FROM topic_papers`);
  const expansion = await expandQueries(tx);
  if (expansion.terms.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO topic_expansions (topic_id, term, weight)
    SELECT query::int, term, weight FROM unnest(${expansion.terms.map((t) => t.query)}::text[], ${expansion.terms.map((t) => t.term)}::text[], ${expansion.terms.map((t) => t.weight)}::float8[]) AS e(query, term, weight)`;
  await tx.$executeRaw`
    INSERT INTO topic_papers (topic_id, paper_id, relevance, reason)
    SELECT m.query::int, m.paper_id, m.relevance, m.reason
    FROM unnest(${expansion.matches.map((m) => m.query)}::text[], ${expansion.matches.map((m) => m.paperId)}::int[], ${expansion.matches.map((m) => m.relevance)}::float8[], ${expansion.matches.map((m) => m.reason)}::text[]) AS m(query, paper_id, relevance, reason)
    WHERE NOT EXISTS (
      SELECT 1 FROM topic_concepts x JOIN paper_concepts xc ON xc.concept_id = x.concept_id
      WHERE x.topic_id = m.query::int AND x.excluded AND xc.paper_id = m.paper_id)
    ON CONFLICT DO NOTHING`;
}

export interface Expansion {
  terms: { query: string; term: string; weight: number }[];
  matches: { query: string; paperId: number; relevance: number; reason: string }[];
}

/**
 * Expansion for the queries in the temp table query_matches(query, paper_id, relevance): per query, the terms that
 * occur in several of its best papers but in few papers overall (unit-length weights), and the ML papers not yet
 * matched whose vectors share at least `minTermsHit` of those terms with enough weight.
 */
export async function expandQueries(tx: Tx, minTermsHit: number = RANKING.expansion.minTermsHit): Promise<Expansion> {
  const x = RANKING.expansion;
  const terms = await tx.$queryRawUnsafe<{ query: string; term: string; weight: number }[]>(`
    WITH corpus AS (SELECT greatest(count(*), 1)::float8 AS docs FROM paper_index),
    best AS (
      SELECT query, paper_id FROM (
        SELECT query, paper_id, row_number() OVER (PARTITION BY query ORDER BY relevance DESC, paper_id) AS rn FROM query_matches) r
      WHERE rn <= ${x.topDocuments}
    ),
    best_size AS (SELECT query, count(*) AS documents FROM best GROUP BY query),
    candidate AS (
      -- A term must recur among the query's best papers: in minDocuments of them, or in two when it has only a few.
      SELECT b.query, pt.term, count(*) AS documents, sum(pt.weight) AS mass
      FROM best b JOIN paper_terms pt ON pt.paper_id = b.paper_id JOIN best_size s ON s.query = b.query
      WHERE pt.term NOT LIKE 'c:%'
      GROUP BY b.query, pt.term, s.documents
      HAVING count(*) >= least(${x.minDocuments}, greatest(2, s.documents - 1))
    ),
    scored AS (
      SELECT c.query, c.term, c.mass * ln((corpus.docs + 1) / (ts.documents + 1)) AS weight,
             row_number() OVER (PARTITION BY c.query ORDER BY c.mass * ln((corpus.docs + 1) / (ts.documents + 1)) DESC, c.term) AS rn
      FROM candidate c JOIN term_stats ts ON ts.term = c.term CROSS JOIN corpus
      WHERE ts.documents <= ${x.maxCorpusShare} * corpus.docs
    )
    SELECT query, term, (weight / sqrt(sum(weight * weight) OVER (PARTITION BY query)))::float8 AS weight
    FROM scored WHERE rn <= ${x.terms} AND weight > 0`);
  if (terms.length === 0) return { terms, matches: [] };
  const matches = await tx.$queryRawUnsafe<{ query: string; paperId: number; score: number; words: string[] }[]>(
    `
    SELECT e.query, pt.paper_id AS "paperId", sum(e.weight * pt.weight)::float8 AS score,
           (array_agg(ts.word ORDER BY e.weight * pt.weight DESC))[1:3] AS words
    FROM unnest($1::text[], $2::text[], $3::float8[]) AS e(query, term, weight)
    JOIN paper_terms pt ON pt.term = e.term
    JOIN term_stats ts ON ts.term = e.term
    JOIN paper_index pi ON pi.paper_id = pt.paper_id
    WHERE NOT ${NOT_ML}
      AND NOT EXISTS (SELECT 1 FROM query_matches m WHERE m.query = e.query AND m.paper_id = pt.paper_id)
    GROUP BY e.query, pt.paper_id
    HAVING count(*) >= ${minTermsHit} AND sum(e.weight * pt.weight) >= ${x.minScore}`,
    terms.map((t) => t.query),
    terms.map((t) => t.term),
    terms.map((t) => t.weight),
  );
  return {
    terms,
    matches: matches.map((m) => ({ query: m.query, paperId: m.paperId, relevance: m.score * x.weight, reason: `related${FIELD}${m.words.join(ITEM)}` })),
  };
}
