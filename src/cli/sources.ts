import { SOURCE_NAMES, type SourceName } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { listRuns } from "../sources/runs.ts";
import { createSources } from "../sources/registry.ts";
import { type RunOutcome, runSource } from "../sources/run.ts";
import { refreshMatching } from "../topics/paper-index.ts";
import type { Command, CommandContext } from "./command.ts";
import { createProgress, type Progress } from "./progress.ts";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const sourcesCommand: Command = {
  summary: "sources: the paper sources, their settings and recent runs. sources fetch [--source S] [--date D]: fetch now, with progress.",
  usage: "sources [--limit N] | sources fetch [--source folder|huggingface|arxiv] [--date YYYY-MM-DD]",
  options: { source: { type: "string" }, date: { type: "string" }, limit: { type: "string" } },
  async run(ctx) {
    const [action] = ctx.positionals;
    if (action === undefined) return show(ctx);
    if (action === "fetch") return fetchNow(ctx);
    console.error(`sources: say nothing (list) or "fetch"\nusage: npm run cli -- ${sourcesCommand.usage}`);
    return 2;
  },
};

async function show({ config, log, values }: CommandContext) {
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    console.error(`sources: --limit must be a whole number from 1, got "${values.limit}"`);
    return 2;
  }
  const s = config.sources;
  const settings: Record<SourceName, string> = {
    folder: `${config.corpusDir} on "${s.folder.cron}"`,
    huggingface: `${s.huggingface.baseUrl}, ${s.huggingface.days} day(s) back, on "${s.huggingface.cron}"`,
    arxiv: `${s.arxiv.baseUrl}, ${s.arxiv.categories.join(",")}, up to ${s.arxiv.maxResults} per run, on "${s.arxiv.cron}" UTC`,
  };
  console.log(`Sources (SOURCES=${s.enabled.join(",")}; User-Agent: ${s.userAgent})`);
  for (const name of SOURCE_NAMES) console.log(`  ${name.padEnd(12)} ${s.enabled.includes(name) ? "on " : "off"}  ${settings[name]}`);
  const database = await openDatabase(config, log);
  try {
    const runs = await listRuns(database.db, { limit });
    console.log(`\nRecent runs (newest first)`);
    if (!runs.length) console.log("  (none yet: npm run cli -- sources fetch)");
    for (const r of runs) {
      const took = r.finishedAt ? `${((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(1)} s` : "running";
      const counts = r.status === "skipped" ? "" : `${r.added} added, ${r.updated} updated, ${r.signals} signals, ${r.warnings} warnings`;
      console.log(`  ${r.startedAt.toISOString().slice(0, 19).replace("T", " ")}  ${r.source.padEnd(12)} ${r.status.padEnd(8)} ${took.padStart(8)}  ${counts}${counts ? "  " : ""}${r.detail}`);
      if (r.error) console.log(`      ${r.status === "skipped" ? "why" : "error"}: ${r.error}`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

async function fetchNow({ config, log, values }: CommandContext) {
  const date = values.date as string | undefined;
  if (date !== undefined && (!DATE.test(date) || Number.isNaN(Date.parse(date)))) {
    console.error(`sources fetch: --date must be a date like 2026-11-24, got "${date}"`);
    return 2;
  }
  const only = values.source as string | undefined;
  if (only !== undefined && !SOURCE_NAMES.includes(only as SourceName)) {
    console.error(`sources fetch: --source must be one of ${SOURCE_NAMES.join(", ")}, got "${only}"`);
    return 2;
  }
  const names = only ? [only as SourceName] : config.sources.enabled;
  if (only && !config.sources.enabled.includes(only as SourceName)) console.log(`(${only} is not in SOURCES, so it is not scheduled; fetching it once because you asked)`);
  const database = await openDatabase(config, log);
  try {
    const deps = { db: database.db, databaseUrl: database.url, log, sources: createSources(config, database.db, log) };
    let failed = false;
    let changed = false;
    for (const name of names) {
      let progress: Progress | undefined;
      const outcome = await runSource(deps, name, {
        date,
        onProgress: (done, total, label) => {
          // A bar on a terminal; a line per step otherwise (steps are few and slow: pages, days, files).
          if (!process.stdout.isTTY) return console.log(`${name}: ${done}/${total} ${label}`);
          progress ??= createProgress(name, total);
          progress.setTotal(total);
          progress.update(done, label);
        },
      });
      progress?.stop();
      console.log(summary(outcome));
      for (const warning of outcome.warnings) console.log(`  warning: ${warning}`);
      failed ||= outcome.status === "failed";
      changed ||= outcome.added + outcome.updated > 0;
    }
    if (changed) console.log(`matched: ${(await refreshMatching(database.db)).indexed.length} paper(s) indexed for topics and keywords`);
    return failed ? 1 : 0;
  } finally {
    await database.close();
  }
}

function summary(o: RunOutcome): string {
  const what = `${o.source} (${o.detail})`;
  if (o.status === "busy") return `${what}: another process is fetching it right now; nothing done here`;
  if (o.status === "skipped") return `${what}: skipped — ${o.error}`;
  const counts = `${o.added} added, ${o.updated} updated, ${o.unchanged} unchanged, ${o.signals} signals, ${o.warnings.length} warning(s)`;
  return o.status === "ok" ? `${what}: ok — ${counts}` : `${what}: FAILED — ${o.error} (${counts} before it failed)`;
}
