// Read side of papers: the trending list, one paper, and full-text search.
import type { Db } from "../db/client.ts";

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
