// Papers -> database. Idempotent: a paper is identified by its key, so re-ingesting adds nothing.
import fs from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db/client.ts";
import { type CorpusWarning, type ParsedPaper, parseCorpus } from "./parse.ts";

export interface IngestReport {
  files: number;
  papers: number;
  added: number;
  updated: number;
  unchanged: number;
  warnings: CorpusWarning[];
}

/** Ingests one file or every `.txt` file of a folder (in name order, so later pages count as newer). */
export async function ingestPath(db: Db, target: string, now: () => Date = () => new Date()): Promise<IngestReport> {
  const report: IngestReport = { files: 0, papers: 0, added: 0, updated: 0, unchanged: 0, warnings: [] };
  for (const file of await listCorpusFiles(target)) {
    const content = await fs.readFile(file);
    const parsed = parseCorpus(content, path.relative(process.cwd(), file) || file);
    const counts = await storePapers(db, parsed.papers, path.basename(file), now());
    report.files += 1;
    report.papers += parsed.papers.length;
    report.added += counts.added;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    report.warnings.push(...parsed.warnings);
  }
  return report;
}

async function listCorpusFiles(target: string): Promise<string[]> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat) throw new Error(`corpus path not found: ${target}`);
  if (stat.isFile()) return [target];
  const entries = await fs.readdir(target, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".txt"))
    .map((e) => path.join(target, e.name))
    .sort();
}

/** Adds new papers, updates changed ones, and refreshes rank and last-seen time of all, in one transaction. */
export async function storePapers(db: Db, papers: ParsedPaper[], sourceFile: string, seenAt: Date) {
  if (papers.length === 0) return { added: 0, updated: 0, unchanged: 0 };
  return db.$transaction(async (tx) => {
    const existing = await tx.paper.findMany({
      where: { key: { in: papers.map((p) => p.key) } },
      select: { id: true, key: true, title: true, abstract: true },
    });
    const byKey = new Map(existing.map((p) => [p.key, p]));
    const fresh = papers.filter((p) => !byKey.has(p.key));
    // skipDuplicates: another process may ingest the same page at the same moment.
    const created = await tx.paper.createMany({
      data: fresh.map((p) => ({
        key: p.key,
        title: p.title,
        displayTitle: p.displayTitle,
        abstract: p.abstract,
        links: p.links,
        codeUrl: p.codeUrl ?? null,
        rank: p.rank,
        sourceFile,
        firstSeenAt: seenAt,
        lastSeenAt: seenAt,
      })),
      skipDuplicates: true,
    });
    let updated = 0;
    for (const paper of papers) {
      const before = byKey.get(paper.key);
      if (!before) continue;
      const changed = before.title !== paper.title || before.abstract !== paper.abstract;
      if (changed) updated += 1;
      await tx.paper.update({
        where: { id: before.id },
        data: {
          rank: paper.rank,
          sourceFile,
          lastSeenAt: seenAt,
          ...(changed
            ? { title: paper.title, displayTitle: paper.displayTitle, abstract: paper.abstract, links: paper.links, codeUrl: paper.codeUrl ?? null }
            : {}),
        },
      });
    }
    return { added: created.count, updated, unchanged: existing.length - updated };
  }, { timeout: 60_000 });
}
