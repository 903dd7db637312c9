// Keeps the matcher's view of the corpus current: each paper's concept hits and tf-idf terms, and from them every
// topic's matching papers and corpus expansion. Runs before planning and after ingest; does nothing when no paper
// changed. Re-indexes everything when the vocabulary, the topic catalog or the scoring model changes.
import { createHash } from "node:crypto";
import type { Db } from "../db/client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { TOPICS, type TopicDefinition } from "./catalog.ts";
import { type ConceptHit, matchPaper, type ZonedTokens, zonePaper } from "./match.ts";
import { RANKING } from "./ranking.ts";
import { termFrequencies, weighTerms } from "./terms.ts";
import { buildTopicConcepts, rebuildTopicExpansions, rebuildTopicMatches } from "./queries.ts";
import { syncTopics } from "./topics.ts";
import { projectVocabulary, type Vocabulary } from "./vocabulary/index.ts";

type Tx = Prisma.TransactionClient;

// Serialises refreshes across processes (planners, ingest jobs); any other number the app uses is different.
const REFRESH_LOCK = 72707371;
const CHUNK = 1000;

export interface RefreshResult {
  /** Papers whose concepts and terms were (re)computed. */
  indexed: number[];
  generation: number;
  /** The whole index was rebuilt (new vocabulary, catalog or scoring model): paper vectors changed. */
  rebuilt: boolean;
}

/** The version of everything the index depends on: the thesaurus, the topic catalog and the scoring constants. */
export function matchingVersion(vocabulary: Vocabulary = projectVocabulary(), catalog: TopicDefinition[] = TOPICS): string {
  return createHash("sha256").update(vocabulary.version).update(JSON.stringify(catalog)).update(JSON.stringify(RANKING)).digest("hex").slice(0, 16);
}

export async function refreshMatching(db: Db, opts: { vocabulary?: Vocabulary; catalog?: TopicDefinition[] } = {}): Promise<RefreshResult> {
  const vocabulary = opts.vocabulary ?? projectVocabulary();
  const catalog = opts.catalog ?? TOPICS;
  const version = matchingVersion(vocabulary, catalog);
  // The topic rows the definitions hang on (a CLI ingest may run before the app ever started).
  await syncTopics(db, catalog);
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${REFRESH_LOCK})`;
      const state = await tx.matchingState.findUnique({ where: { id: 1 } });
      const rebuild = state?.vocabularyVersion !== version;
      if (rebuild) {
        // Everything computed from the old vocabulary goes; term statistics restart with the corpus.
        await tx.$executeRawUnsafe(`TRUNCATE paper_index, paper_concepts, paper_terms, term_stats`);
        await buildTopicConcepts(tx, catalog, vocabulary);
      }
      const indexed: number[] = [];
      for (;;) {
        const stale = await tx.$queryRaw<{ id: number; title: string; abstract: string; known: boolean }[]>`
          SELECT p.id, p.display_title AS title, p.abstract, pi.paper_id IS NOT NULL AS known
          FROM papers p LEFT JOIN paper_index pi ON pi.paper_id = p.id
          WHERE pi.paper_id IS NULL OR pi.text_hash <> md5(p.display_title || E'\\n' || p.abstract)
          ORDER BY p.id LIMIT ${CHUNK}`;
        if (stale.length === 0) break;
        await indexPapers(tx, vocabulary, stale);
        indexed.push(...stale.map((p) => p.id));
      }
      if (!rebuild && indexed.length === 0 && state) return { indexed, generation: state.generation, rebuilt: false };
      await rebuildTopicMatches(tx);
      await rebuildTopicExpansions(tx);
      const generation = (state?.generation ?? 0) + 1;
      await tx.matchingState.upsert({
        where: { id: 1 },
        create: { id: 1, vocabularyVersion: version, generation },
        update: { vocabularyVersion: version, generation, refreshedAt: new Date() },
      });
      return { indexed, generation, rebuilt: rebuild };
    },
    { timeout: 600_000, maxWait: 600_000 },
  );
}

async function indexPapers(tx: Tx, vocabulary: Vocabulary, papers: { id: number; title: string; abstract: string; known: boolean }[]) {
  const analysed = papers.map((paper) => {
    const zones = zonePaper(paper);
    const hits = matchPaper(vocabulary.matcher, zones);
    return { paper, zones, hits, tf: termFrequencies(zones, hits) };
  });
  // Document frequencies count each new paper once; a paper whose text changed is not counted again (small drift,
  // reset whenever the vocabulary changes).
  const df = new Map<string, number>();
  for (const a of analysed) if (!a.paper.known) for (const term of a.tf.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  if (df.size) {
    const words = wordsOfStems(analysed.map((a) => a.zones));
    const terms = [...df.keys()];
    await tx.$executeRaw`
      INSERT INTO term_stats (term, documents, word)
      SELECT * FROM unnest(${terms}::text[], ${terms.map((t) => df.get(t)!)}::int[], ${terms.map((t) => words.get(t) ?? t)}::text[])
      ON CONFLICT (term) DO UPDATE SET documents = term_stats.documents + EXCLUDED.documents`;
  }
  const allTerms = [...new Set(analysed.flatMap((a) => [...a.tf.keys()]))];
  const stats = await tx.$queryRaw<{ term: string; documents: number }[]>`SELECT term, documents FROM term_stats WHERE term = ANY(${allTerms}::text[])`;
  const documentFrequency = new Map(stats.map((s) => [s.term, s.documents]));
  const [{ n }] = (await tx.$queryRaw<{ n: number }[]>`SELECT (count(*) + ${papers.filter((p) => !p.known).length})::int AS n FROM paper_index`) as [{ n: number }];

  const ids = papers.map((p) => p.id);
  await tx.$executeRaw`DELETE FROM paper_concepts WHERE paper_id = ANY(${ids}::int[])`;
  await tx.$executeRaw`DELETE FROM paper_terms WHERE paper_id = ANY(${ids}::int[])`;
  const concepts = analysed.flatMap((a) => a.hits.map((h) => ({ paperId: a.paper.id, ...h })));
  if (concepts.length) {
    await tx.$executeRaw`
      INSERT INTO paper_concepts (paper_id, concept_id, title_hits, lead_hits, body_hits, surface)
      SELECT * FROM unnest(${concepts.map((c) => c.paperId)}::int[], ${concepts.map((c) => c.conceptId)}::text[], ${concepts.map((c) => c.title)}::int[],
                           ${concepts.map((c) => c.lead)}::int[], ${concepts.map((c) => c.body)}::int[], ${concepts.map((c) => c.surface)}::text[])`;
  }
  const terms = analysed.flatMap((a) => weighTerms(a.tf, (t) => documentFrequency.get(t) ?? 0, n!).map((t) => ({ paperId: a.paper.id, ...t })));
  if (terms.length) {
    await tx.$executeRaw`
      INSERT INTO paper_terms (paper_id, term, weight)
      SELECT * FROM unnest(${terms.map((t) => t.paperId)}::int[], ${terms.map((t) => t.term)}::text[], ${terms.map((t) => t.weight)}::float8[])`;
  }
  const evidence = analysed.map((a) => fieldEvidence(vocabulary, a.hits));
  await tx.$executeRaw`
    INSERT INTO paper_index (paper_id, vocabulary_version, text_hash, ml_evidence, other_evidence, ml_concepts, indexed_at)
    SELECT p.id, ${vocabulary.version}, md5(p.display_title || E'\\n' || p.abstract), e.ml, e.other, e.concepts, now()
    FROM unnest(${ids}::int[], ${evidence.map((e) => e.ml)}::float8[], ${evidence.map((e) => e.other)}::float8[], ${evidence.map((e) => e.mlConcepts)}::int[]) AS e(id, ml, other, concepts)
    JOIN papers p ON p.id = e.id
    ON CONFLICT (paper_id) DO UPDATE SET vocabulary_version = EXCLUDED.vocabulary_version, text_hash = EXCLUDED.text_hash,
      ml_evidence = EXCLUDED.ml_evidence, other_evidence = EXCLUDED.other_evidence, ml_concepts = EXCLUDED.ml_concepts, indexed_at = EXCLUDED.indexed_at`;
}

/** How strongly a paper speaks the vocabulary of ML (and in how many concepts), and of other fields sharing our words. */
export function fieldEvidence(vocabulary: Vocabulary, hits: ConceptHit[]): { ml: number; other: number; mlConcepts: number } {
  const e = RANKING.evidence;
  let ml = 0;
  let other = 0;
  let mlConcepts = 0;
  for (const hit of hits) {
    const evidence = Math.min(hit.title, e.titleCap) * e.title + Math.min(hit.lead, e.leadCap) * e.lead + Math.min(hit.body, e.bodyCap) * e.body;
    if (vocabulary.concepts.get(hit.conceptId)?.field === "other") other += evidence;
    else {
      ml += evidence;
      mlConcepts += 1;
    }
  }
  return { ml, other, mlConcepts };
}

/** For each stem, the word papers most often write for it (shown to readers instead of the stem). */
function wordsOfStems(zoned: ZonedTokens[]): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const zones of zoned) {
    for (const token of [...zones.title, ...zones.lead, ...zones.body]) {
      const word = token.raw.toLowerCase();
      const forStem = counts.get(token.stem) ?? new Map<string, number>();
      forStem.set(word, (forStem.get(word) ?? 0) + 1);
      counts.set(token.stem, forStem);
    }
  }
  return new Map([...counts].map(([stem, words]) => [stem, [...words].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0]]));
}
