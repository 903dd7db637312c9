// Saved pages -> database (the folder source). Idempotent: a paper is found again by its title, so re-ingesting adds
// nothing; the same paper from Hugging Face or arXiv lands in the same row (store.ts).
import fs from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db/client.ts";
import type { IncomingPaper } from "./merge.ts";
import { type CorpusWarning, type ParsedPaper, parseCorpus } from "./parse.ts";
import { storePapers } from "./store.ts";

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
    const counts = await ingestFile(db, file, now());
    report.files += 1;
    report.papers += counts.papers;
    report.added += counts.added;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    report.warnings.push(...counts.warnings);
  }
  return report;
}

/** One saved page: parse, store, and say what happened (warnings carry file and line). */
export async function ingestFile(db: Db, file: string, seenAt: Date) {
  const content = await fs.readFile(file);
  const parsed = parseCorpus(content, path.relative(process.cwd(), file) || file);
  const counts = await storePapers(db, fromSavedPage(parsed.papers), { source: "folder", seenIn: path.basename(file), seenAt });
  return { papers: parsed.papers.length, added: counts.added, updated: counts.updated, unchanged: counts.unchanged, warnings: parsed.warnings };
}

export async function listCorpusFiles(target: string): Promise<string[]> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat) throw new Error(`corpus path not found: ${target}`);
  if (stat.isFile()) return [target];
  const entries = await fs.readdir(target, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".txt"))
    .map((e) => path.join(target, e.name))
    .sort();
}

/** A saved page's papers as the store takes them: no ids or authors, only what the page shows. */
export function fromSavedPage(papers: ParsedPaper[]): IncomingPaper[] {
  return papers.map((p) => ({ title: p.title, displayTitle: p.displayTitle, abstract: p.abstract, links: p.links, codeUrl: p.codeUrl, rank: p.rank }));
}
