// Papers -> database, whichever source they came from: one row per paper. A paper is found by its arXiv id, else by
// its normalised title (a saved page has no ids; its paper meets its arXiv twin by title), and merged (merge.ts).
import type { Db } from "../db/client.ts";
import { type IncomingPaper, mergePaper, type StoredPaper } from "./merge.ts";
import { paperKey } from "./text.ts";

export interface StoreOptions {
  /** folder, huggingface, arxiv. */
  source: string;
  /** Where it was seen, kept as the paper's `sourceFile`: a file name, "huggingface 2026-11-24", "arxiv". */
  seenIn: string;
  seenAt: Date;
}

export interface StoreResult {
  added: number;
  updated: number;
  unchanged: number;
  /** The stored paper id of each incoming paper, in order. */
  paperIds: number[];
}

const STORED_FIELDS = {
  id: true,
  arxivId: true,
  titleKey: true,
  title: true,
  displayTitle: true,
  abstract: true,
  authors: true,
  publishedAt: true,
  links: true,
  codeUrl: true,
  projectUrl: true,
  hfUrl: true,
  upvotes: true,
  comments: true,
  seenBy: true,
  metadataSource: true,
  firstSeenAt: true,
} as const;

type Row = StoredPaper & { id: number; firstSeenAt: Date };

/** Adds new papers, merges known ones, and refreshes rank and last-seen time of all, in one transaction. */
export async function storePapers(db: Db, papers: IncomingPaper[], opts: StoreOptions): Promise<StoreResult> {
  if (papers.length === 0) return { added: 0, updated: 0, unchanged: 0, paperIds: [] };
  return db.$transaction(
    async (tx) => {
      // One writer of papers at a time across processes: finding a paper by id or title and then inserting it must
      // not race another source inserting the same paper under its other identity.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('tpd:papers'))`;
      const titleKeys = papers.map((p) => paperKey(p.displayTitle));
      const arxivIds = papers.flatMap((p) => (p.arxivId ? [p.arxivId] : []));
      const rows: Row[] = await tx.paper.findMany({
        where: { OR: [{ titleKey: { in: titleKeys } }, ...(arxivIds.length ? [{ arxivId: { in: arxivIds } }] : [])] },
        select: STORED_FIELDS,
        orderBy: { id: "asc" },
      });
      const byArxiv = new Map(rows.filter((r) => r.arxivId).map((r) => [r.arxivId!, r]));
      const findRow = (paper: IncomingPaper, titleKey: string) => {
        if (paper.arxivId) {
          // Same id; else a paper known only by this title (a saved page), which now learns its id.
          return byArxiv.get(paper.arxivId) ?? rows.find((r) => r.titleKey === titleKey && !r.arxivId);
        }
        return rows.find((r) => r.titleKey === titleKey && !r.arxivId) ?? rows.find((r) => r.titleKey === titleKey);
      };

      const result: StoreResult = { added: 0, updated: 0, unchanged: 0, paperIds: [] };
      const touched = new Set<number>();
      for (const [index, paper] of papers.entries()) {
        const titleKey = titleKeys[index]!;
        const row = findRow(paper, titleKey);
        if (!row) {
          const created = await tx.paper.create({
            data: {
              key: paper.arxivId ? `arxiv:${paper.arxivId}` : titleKey,
              arxivId: paper.arxivId ?? null,
              titleKey,
              title: paper.title,
              displayTitle: paper.displayTitle,
              abstract: paper.abstract,
              authors: paper.authors ?? [],
              publishedAt: paper.publishedAt ?? null,
              links: paper.links ?? [],
              codeUrl: paper.codeUrl ?? null,
              projectUrl: paper.projectUrl ?? null,
              hfUrl: paper.hfUrl ?? null,
              upvotes: paper.upvotes ?? null,
              comments: paper.comments ?? null,
              seenBy: [opts.source],
              metadataSource: opts.source,
              rank: paper.rank,
              sourceFile: opts.seenIn,
              firstSeenAt: earliest(opts.seenAt, paper.listedAt),
              lastSeenAt: opts.seenAt,
            },
            select: STORED_FIELDS,
          });
          rows.push(created);
          if (created.arxivId) byArxiv.set(created.arxivId, created);
          touched.add(created.id);
          result.added += 1;
          result.paperIds.push(created.id);
          continue;
        }
        result.paperIds.push(row.id);
        // The same paper twice in one list (an id and its title, two versions): the first sighting counts.
        if (touched.has(row.id)) continue;
        touched.add(row.id);
        const { patch, changed } = mergePaper(row, paper, opts.source, titleKey);
        // Listed before we first saw it (we started fetching late): its age on the trending lists counts from then.
        const firstSeenAt = earliest(row.firstSeenAt, paper.listedAt);
        await tx.paper.update({
          where: { id: row.id },
          data: { ...patch, rank: paper.rank, sourceFile: opts.seenIn, lastSeenAt: opts.seenAt, ...(firstSeenAt !== row.firstSeenAt ? { firstSeenAt } : {}) },
        });
        Object.assign(row, patch);
        if (patch.arxivId) byArxiv.set(patch.arxivId, row);
        if (changed) result.updated += 1;
        else result.unchanged += 1;
      }
      return result;
    },
    { timeout: 120_000, maxWait: 60_000 },
  );
}

function earliest(a: Date, b: Date | undefined): Date {
  return b && b.getTime() < a.getTime() ? b : a;
}
