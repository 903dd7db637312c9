// The one interface every paper source implements: it fetches and yields batches of papers; the runner (run.ts)
// stores them, records signals and the run, and holds the lock. Sources do no database writes of their own.
import type { SourceName } from "../config.ts";
import type { IncomingPaper } from "../corpus/merge.ts";

export interface SourceContext {
  /** The run's clock: "today" for Hugging Face, the announcement cycle for arXiv, first-seen and observed times. */
  now: Date;
  /** A day to fetch (YYYY-MM-DD) instead of the source's default (sources fetch --date). */
  date?: string;
}

export interface SourceBatch {
  /** What this batch is, for progress lines: "2026-11-24", "page 2", "001_sample.txt". */
  label: string;
  /** Where the papers were seen, kept as each paper's `sourceFile`. */
  seenIn: string;
  papers: IncomingPaper[];
  /** Problems with single records (a location and what was wrong); the rest of the batch is stored. */
  warnings: string[];
  /** Batches this run will yield in all, as far as known now (for progress). */
  total: number;
  /** Upstream said nothing changed since the last run (HTTP 304). */
  unchanged?: boolean;
  /** Called once the batch is stored: e.g. keeps the response's validators for the next conditional request. */
  stored?: () => Promise<void>;
}

export interface Source {
  readonly name: SourceName;
  /** A line for the run record: which days, categories or folder. */
  describe(ctx: SourceContext): string;
  /** A reason to skip this run (arXiv: already fetched in this announcement cycle), or undefined to run. */
  skipReason?(ctx: SourceContext, lastSuccess: Date | undefined): string | undefined;
  fetch(ctx: SourceContext): AsyncIterable<SourceBatch>;
}

/** The response does not have the shape the source expects: one clear message naming the field; the run stops. */
export class SourceShapeError extends Error {}
