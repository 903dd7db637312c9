// One run of one source: take its lock, record the run, store each batch the source yields (papers, then signals),
// and record how it ended. A failing source ends its own run with one warning naming it; nothing else stops.
import type { SourceName } from "../config.ts";
import { storePapers } from "../corpus/store.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import { closeAbandonedRuns, finishRun, lastSuccessfulRun, startRun, withSourceLock } from "./runs.ts";
import { recordSignals } from "./signals.ts";
import type { Source, SourceContext } from "./types.ts";

export interface SourceRunDeps {
  db: Db;
  /** For the run's advisory lock, held on its own connection. */
  databaseUrl: string;
  log: Logger;
  sources: Record<SourceName, Source>;
  now?: () => Date;
}

export interface RunOutcome {
  source: SourceName;
  /** busy: another process is running this source now (nothing recorded here; that process records its run). */
  status: "ok" | "failed" | "skipped" | "busy";
  detail: string;
  added: number;
  updated: number;
  unchanged: number;
  signals: number;
  warnings: string[];
  error?: string;
}

export interface RunOptions {
  date?: string;
  /** After each batch: batches done, batches expected, the batch's label. */
  onProgress?: (done: number, total: number, label: string) => void;
}

export async function runSource(deps: SourceRunDeps, name: SourceName, opts: RunOptions = {}): Promise<RunOutcome> {
  const source = deps.sources[name];
  const clock = () => deps.now?.() ?? new Date();
  const now = clock();
  const ctx: SourceContext = { now, date: opts.date };
  const outcome: RunOutcome = { source: name, status: "busy", detail: source.describe(ctx), added: 0, updated: 0, unchanged: 0, signals: 0, warnings: [] };
  const done = await withSourceLock(deps.databaseUrl, name, async () => {
    await closeAbandonedRuns(deps.db, name, now);
    const skip = source.skipReason?.(ctx, (await lastSuccessfulRun(deps.db, name))?.startedAt);
    const runId = await startRun(deps.db, name, now, outcome.detail);
    if (skip) {
      await finishRun(deps.db, runId, { status: "skipped", finishedAt: clock(), error: skip });
      deps.log.info(`source ${name}: skipped (${skip})`);
      return { ...outcome, status: "skipped" as const, error: skip };
    }
    try {
      let batches = 0;
      for await (const batch of source.fetch(ctx)) {
        batches += 1;
        const stored = await storePapers(deps.db, batch.papers, { source: name, seenIn: batch.seenIn, seenAt: now });
        const observations = batch.papers.flatMap((p, i) => (p.upvotes === undefined ? [] : [{ paperId: stored.paperIds[i]!, upvotes: p.upvotes, comments: p.comments ?? 0 }]));
        outcome.signals += await recordSignals(deps.db, name, now, observations);
        outcome.added += stored.added;
        outcome.updated += stored.updated;
        outcome.unchanged += stored.unchanged;
        outcome.warnings.push(...batch.warnings);
        for (const warning of batch.warnings) deps.log.warn(`source ${name}: ${warning}`);
        await batch.stored?.();
        opts.onProgress?.(batches, Math.max(batch.total, batches), batch.unchanged ? `${batch.label} (unchanged)` : batch.label);
      }
      await finishRun(deps.db, runId, { status: "ok", finishedAt: clock(), ...counts(outcome) });
      deps.log.info(`source ${name}: ${outcome.added} added, ${outcome.updated} updated, ${outcome.signals} signals, ${outcome.warnings.length} warnings`);
      return { ...outcome, status: "ok" as const };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      await finishRun(deps.db, runId, { status: "failed", finishedAt: clock(), ...counts(outcome), error });
      deps.log.warn(`source ${name} failed: ${error} (what was stored before stays; the next scheduled run tries again)`);
      return { ...outcome, status: "failed" as const, error };
    }
  });
  if (!done) deps.log.info(`source ${name}: another process is fetching it now; skipped here`);
  return done ?? outcome;
}

function counts(o: RunOutcome) {
  return { added: o.added, updated: o.updated, signals: o.signals, warnings: o.warnings.length };
}
