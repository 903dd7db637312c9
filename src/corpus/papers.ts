// Read side of papers: the trending list, one paper, and full-text search.
import type { Db } from "../db/client.ts";
import { Prisma } from "../generated/prisma/client.ts";

/** Trending order: papers from newer pages first, then by rank on their page. */
export function listTrendingPapers(db: Db, opts: { limit: number; offset?: number }) {
  return db.paper.findMany({
    orderBy: [{ firstSeenAt: "desc" }, { rank: "asc" }, { id: "asc" }],
    take: opts.limit,
    skip: opts.offset ?? 0,
    select: { id: true, displayTitle: true, abstract: true, codeUrl: true, rank: true, firstSeenAt: true, upvotes: true },
  });
}

export function countPapers(db: Db) {
  return db.paper.count();
}

export interface PaperListItem {
  id: number;
  displayTitle: string;
  abstract: string;
  codeUrl: string | null;
  rank: number;
  firstSeenAt: Date;
  upvotes: number | null;
  arxivId: string | null;
}

/**
 * One page of the public list and how many papers it holds in all: the papers matching a web-search style query
 * (best match first) or all of them (trending order), optionally only those `within` allows (a condition on `p.id`
 * another feature provides, e.g. a topic's papers).
 */
export async function listPapers(db: Db, opts: { query?: string; within?: Prisma.Sql; limit: number; offset: number }): Promise<{ papers: PaperListItem[]; total: number }> {
  // Raw SQL: Prisma has no tsvector operators.
  const q = opts.query ? Prisma.sql`websearch_to_tsquery('english', ${opts.query})` : null;
  const where = Prisma.join([q ? Prisma.sql`p.search_vector @@ ${q}` : Prisma.sql`true`, opts.within ?? Prisma.sql`true`], " AND ");
  const order = q ? Prisma.sql`ts_rank_cd(p.search_vector, ${q}) DESC, p.first_seen_at DESC, p.rank ASC, p.id ASC` : Prisma.sql`p.first_seen_at DESC, p.rank ASC, p.id ASC`;
  const [papers, [count]] = await Promise.all([
    db.$queryRaw<PaperListItem[]>`
      SELECT p.id, p.display_title AS "displayTitle", p.abstract, p.code_url AS "codeUrl", p.rank, p.first_seen_at AS "firstSeenAt", p.upvotes, p.arxiv_id AS "arxivId"
      FROM papers p WHERE ${where} ORDER BY ${order} LIMIT ${opts.limit} OFFSET ${opts.offset}`,
    db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM papers p WHERE ${where}`,
  ]);
  return { papers, total: count!.total };
}

export function findPaper(db: Db, id: number) {
  return db.paper.findUnique({
    where: { id },
    select: {
      id: true,
      displayTitle: true,
      abstract: true,
      links: true,
      codeUrl: true,
      rank: true,
      firstSeenAt: true,
      sourceFile: true,
      arxivId: true,
      authors: true,
      publishedAt: true,
      hfUrl: true,
      projectUrl: true,
      upvotes: true,
      comments: true,
    },
  });
}

export interface PaperSearchHit {
  id: number;
  displayTitle: string;
  score: number;
}

/** Papers matching a web-search style query ("continual learning", "-chemistry"), best match first. */
export function searchPapers(db: Db, query: string, limit = 20): Promise<PaperSearchHit[]> {
  // Raw SQL: Prisma has no tsvector operators. ts_rank_cd rewards the words standing close together.
  return db.$queryRaw<PaperSearchHit[]>`
    SELECT id, display_title AS "displayTitle", ts_rank_cd(search_vector, q)::float8 AS score
    FROM papers, websearch_to_tsquery('english', ${query}) AS q
    WHERE search_vector @@ q
    ORDER BY score DESC, first_seen_at DESC, rank ASC
    LIMIT ${limit}`;
}
