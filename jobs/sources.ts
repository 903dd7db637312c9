// One node-cron job per enabled source: the saved-pages folder on CORPUS_RESCAN_CRON, Hugging Face hourly (today and
// yesterday), arXiv once a day after its announcement. Each run takes the source's advisory lock, so several app
// processes fetch once between them; a failed run is one warning and the next tick tries again.
import cron, { type ScheduledTask } from "node-cron";
import type { Config, SourceName } from "../src/config.ts";
import { runSource, type SourceRunDeps } from "../src/sources/run.ts";
import { refreshMatching } from "../src/topics/paper-index.ts";

export async function runSourceJob(deps: SourceRunDeps, name: SourceName) {
  try {
    const outcome = await runSource(deps, name);
    // New papers are matched now, so keyword previews and counts include them before the next planning.
    if (outcome.added || outcome.updated) await refreshMatching(deps.db);
    return outcome;
  } catch (err) {
    // The source's own failures are recorded by runSource; this is the database failing under it.
    deps.log.warn({ err }, `source ${name}: run could not be recorded; the next tick tries again`);
    return undefined;
  }
}

export function scheduleSources(config: Config, deps: SourceRunDeps): ScheduledTask[] {
  const schedule: Record<SourceName, { cron: string; timezone?: string }> = {
    folder: { cron: config.sources.folder.cron },
    huggingface: { cron: config.sources.huggingface.cron },
    // In UTC: the default (02:00) comes after arXiv's 20:00 New York announcement in summer and in winter.
    arxiv: { cron: config.sources.arxiv.cron, timezone: "UTC" },
  };
  return config.sources.enabled.map((name) =>
    cron.schedule(schedule[name].cron, () => runSourceJob(deps, name), { name: `source-${name}`, noOverlap: true, ...(schedule[name].timezone ? { timezone: schedule[name].timezone } : {}) }),
  );
}
