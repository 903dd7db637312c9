// Daily re-scan of CORPUS_DIR: new pages saved there are ingested without a restart.
import cron from "node-cron";
import type { Config } from "../src/config.ts";
import { ingestPath } from "../src/corpus/ingest.ts";
import { formatIngestReport } from "../src/corpus/report.ts";
import type { Db } from "../src/db/client.ts";
import type { Logger } from "../src/log.ts";
import { refreshMatching } from "../src/topics/paper-index.ts";

export async function rescanCorpus(config: Config, db: Db, log: Logger) {
  try {
    const report = await ingestPath(db, config.corpusDir);
    for (const line of formatIngestReport(report)) log.info(`corpus: ${line}`);
    // New papers are matched now, so keyword previews and counts include them before the next planning.
    if (report.added || report.updated) await refreshMatching(db);
  } catch (err) {
    log.error({ err }, `corpus: scan of ${config.corpusDir} failed`);
  }
}

export function scheduleCorpusRescan(config: Config, db: Db, log: Logger) {
  // noOverlap: a slow scan is never started twice at once in this process; ingest is idempotent across processes.
  return cron.schedule(config.corpusRescanCron, () => rescanCorpus(config, db, log), { name: "corpus-rescan", noOverlap: true });
}
