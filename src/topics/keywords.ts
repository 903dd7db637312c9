// Readers' own keywords. A keyword that names thesaurus concepts is matched as those concepts (with all their aliases
// and narrower concepts); any other keyword as text. Either way the corpus adds the vocabulary of its best matches.
// Matches are computed once per index generation and shared by every reader who typed the same keyword.
import type { Db } from "../db/client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { findMentions, matchPhrase, zonePaper } from "./match.ts";
import { evidenceSql, RANKING } from "./ranking.ts";
import { expandQueries, NOT_ML } from "./queries.ts";
import { FIELD, ITEM } from "./reasons.ts";
import { isContentStem } from "./terms.ts";
import { tokenize } from "./tokenize.ts";
import { projectVocabulary, type Concept, type Vocabulary } from "./vocabulary/index.ts";

type Tx = Prisma.TransactionClient;

export interface KeywordUnderstanding {
  keyword: string;
  /** Each group is one concept the keyword names (alternatives when a phrase names several); all groups must match. */
  groups: Concept[][];
}

/** The most concepts a keyword may stand for by name ("quantization" names a few; "learning" names hundreds). */
const MAX_NAMED = 24;

/**
 * How a keyword is read: as the concepts its words name, when they name nothing else ("LoRA", "reinforcement learning
 * for math reasoning"); or as every concept with those words in its name ("quantization", "diffusion"); otherwise as
 * text.
 */
export function understandKeyword(keyword: string, vocabulary: Vocabulary = projectVocabulary()): KeywordUnderstanding {
  const tokens = tokenize(keyword);
  const mentions = findMentions(vocabulary.matcher, tokens);
  const covered = new Set(mentions.flatMap((m) => Array.from({ length: m.end - m.start }, (_, i) => m.start + i)));
  const uncovered = tokens.filter((t, i) => !covered.has(i) && isContentStem(t.stem));
  const groups = mentions.map((m) => m.conceptIds.map((id) => vocabulary.concepts.get(id)!).filter((c) => c.field !== "other"));
  if (mentions.length > 0 && uncovered.length === 0 && groups.every((g) => g.length > 0)) return { keyword, groups };
  const named = vocabulary.conceptsNamed(keyword);
  if (named.length > 0 && named.length <= MAX_NAMED) return { keyword, groups: [named] };
  return { keyword, groups: [] };
}

export interface KeywordMatch {
  keyword: string;
  paperId: number;
  relevance: number;
  /** How it matched and the quoted evidence (see reasons.ts). */
  reason: string;
}

/**
 * Matches of each keyword over the whole index: concept evidence (gated like topics), or text evidence for a keyword
 * that names no concept (PostgreSQL full-text search finds the candidates, the phrase decides), then expansion.
 */
export async function computeKeywordMatches(tx: Tx, keywords: string[], vocabulary: Vocabulary = projectVocabulary()): Promise<{ matches: KeywordMatch[]; expansion: Map<string, string[]> }> {
  const understood = keywords.map((k) => understandKeyword(k, vocabulary));
  const matches = [...(await conceptMatches(tx, understood.filter((u) => u.groups.length), vocabulary)), ...(await textMatches(tx, understood.filter((u) => !u.groups.length).map((u) => u.keyword)))];
  await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS query_matches`);
  await tx.$executeRawUnsafe(`CREATE TEMP TABLE query_matches (query text, paper_id int, relevance float8) ON COMMIT DROP`);
  if (matches.length) {
    await tx.$executeRaw`INSERT INTO query_matches SELECT * FROM unnest(${matches.map((m) => m.keyword)}::text[], ${matches.map((m) => m.paperId)}::int[], ${matches.map((m) => m.relevance)}::float8[])`;
  }
  const expanded = await expandQueries(tx, RANKING.expansion.keywordMinTermsHit);
  const expansion = new Map<string, string[]>();
  if (expanded.terms.length) {
    const words = new Map(
      (await tx.$queryRaw<{ term: string; word: string }[]>`SELECT term, word FROM term_stats WHERE term = ANY(${expanded.terms.map((t) => t.term)}::text[])`).map((r) => [r.term, r.word]),
    );
    for (const t of expanded.terms) expansion.set(t.query, [...(expansion.get(t.query) ?? []), words.get(t.term) ?? t.term]);
  }
  return { matches: [...matches, ...expanded.matches.map((m) => ({ keyword: m.query, paperId: m.paperId, relevance: m.relevance, reason: m.reason }))], expansion };
}

async function conceptMatches(tx: Tx, understood: KeywordUnderstanding[], vocabulary: Vocabulary): Promise<KeywordMatch[]> {
  const rows: { keyword: string; group: number; conceptId: string; weight: number }[] = [];
  for (const u of understood) {
    u.groups.forEach((group, index) => {
      const weights = vocabulary.weighWithNarrower(Object.fromEntries(group.map((c) => [c.id, 1])), RANKING.narrowerShare);
      // A reader who named a concept also wants its close relatives (a "3D reconstruction" reader, Gaussian splatting).
      for (const c of group) for (const id of vocabulary.relatedTo(c.id)) if (!weights.has(id) && vocabulary.concepts.get(id)?.field !== "other") weights.set(id, RANKING.keywordRelatedWeight);
      for (const [conceptId, weight] of weights) rows.push({ keyword: u.keyword, group: index, conceptId, weight });
    });
  }
  if (rows.length === 0) return [];
  const groupCounts = new Map(understood.map((u) => [u.keyword, u.groups.length]));
  const found = await tx.$queryRawUnsafe<{ keyword: string; paperId: number; relevance: number; phrases: string[] }[]>(
    `
    WITH wanted AS (SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::float8[]) AS w(keyword, grp, concept_id, weight)),
    per_group AS (
      SELECT w.keyword, w.grp, pc.paper_id, sum(w.weight * ${evidenceSql("pc")}) AS relevance,
             sum(pc.title_hits) AS title_hits, sum(pc.lead_hits + pc.body_hits) AS abstract_hits,
             array_agg(pc.surface ORDER BY w.weight * ${evidenceSql("pc")} DESC) AS phrases, count(*) AS concepts
      FROM wanted w JOIN paper_concepts pc ON pc.concept_id = w.concept_id
      GROUP BY w.keyword, w.grp, pc.paper_id
    )
    SELECT g.keyword, g.paper_id AS "paperId", sum(g.relevance)::float8 AS relevance, array_agg(g.phrases[1] ORDER BY g.grp) AS phrases, count(*)::int AS groups
    FROM per_group g JOIN paper_index pi ON pi.paper_id = g.paper_id
    WHERE NOT ${NOT_ML}
    GROUP BY g.keyword, g.paper_id, pi.ml_concepts
    HAVING (sum(g.title_hits) > 0 OR sum(g.abstract_hits) >= ${RANKING.minAbstractHits}) AND sum(g.relevance) >= ${RANKING.minRelevance}
       AND pi.ml_concepts > sum(g.concepts)`,
    rows.map((r) => r.keyword),
    rows.map((r) => r.group),
    rows.map((r) => r.conceptId),
    rows.map((r) => r.weight),
  );
  return found
    .filter((f) => (f as unknown as { groups: number }).groups === groupCounts.get(f.keyword))
    .map((f) => ({ keyword: f.keyword, paperId: f.paperId, relevance: f.relevance, reason: `concept${FIELD}${[...new Set(f.phrases)].join(ITEM)}` }));
}

async function textMatches(tx: Tx, keywords: string[]): Promise<KeywordMatch[]> {
  const e = RANKING.evidence;
  const matches: KeywordMatch[] = [];
  for (const keyword of keywords) {
    // Raw SQL: full-text search narrows the corpus to candidates; the phrase rules below decide.
    const candidates = await tx.$queryRaw<{ id: number; title: string; abstract: string }[]>`
      SELECT p.id, p.display_title AS title, p.abstract FROM papers p, websearch_to_tsquery('english', ${keyword}) q
      WHERE q::text <> '' AND p.search_vector @@ q`;
    const words = tokenize(keyword).filter((t) => isContentStem(t.stem) || /^[A-Z0-9]{2,}$/.test(t.raw));
    if (words.length === 0) continue;
    for (const paper of candidates) {
      const zones = zonePaper(paper);
      const hits = { title: matchPhrase(zones.title, words), lead: matchPhrase(zones.lead, words), body: matchPhrase(zones.body, words) };
      const relevance = Math.min(hits.title, e.titleCap) * e.title + Math.min(hits.lead, e.leadCap) * e.lead + Math.min(hits.body, e.bodyCap) * e.body;
      if ((hits.title > 0 || hits.lead + hits.body >= RANKING.minAbstractHits) && relevance >= RANKING.minRelevance) {
        matches.push({ keyword, paperId: paper.id, relevance, reason: `text${FIELD}${keyword}` });
      }
    }
  }
  return matches;
}

/** Keeps the shared keyword matches current for these keywords (the distinct keywords of active readers). */
export async function ensureKeywordMatches(db: Db, keywords: string[]) {
  if (keywords.length === 0) return;
  await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707372)`;
      const state = await tx.matchingState.findUnique({ where: { id: 1 }, select: { generation: true } });
      const generation = state?.generation ?? 0;
      const current = new Set((await tx.keywordQuery.findMany({ where: { keyword: { in: keywords }, generation }, select: { keyword: true } })).map((k) => k.keyword));
      const stale = [...new Set(keywords)].filter((k) => !current.has(k));
      if (stale.length === 0) return;
      const { matches, expansion } = await computeKeywordMatches(tx, stale);
      await tx.keywordQuery.deleteMany({ where: { keyword: { in: stale } } });
      await tx.keywordQuery.createMany({
        data: stale.map((keyword) => ({ keyword, generation, conceptIds: understandKeyword(keyword).groups.flat().map((c) => c.id), expansion: expansion.get(keyword) ?? [] })),
      });
      if (matches.length) {
        await tx.$executeRaw`
          INSERT INTO keyword_papers (keyword, paper_id, relevance, reason)
          SELECT * FROM unnest(${matches.map((m) => m.keyword)}::text[], ${matches.map((m) => m.paperId)}::int[], ${matches.map((m) => m.relevance)}::float8[], ${matches.map((m) => m.reason)}::text[])
          ON CONFLICT DO NOTHING`;
      }
    },
    { timeout: 600_000, maxWait: 600_000 },
  );
}
