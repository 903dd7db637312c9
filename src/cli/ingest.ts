import { ingestPath } from "../corpus/ingest.ts";
import { formatIngestReport } from "../corpus/report.ts";
import { openDatabase } from "../db/database.ts";
import { refreshMatching } from "../topics/paper-index.ts";
import type { Command } from "./command.ts";

export const ingestCommand: Command = {
  summary: "Parse corpus file(s) and store their papers; prints added / updated / unchanged and every warning.",
  usage: "ingest <file-or-folder> [...]",
  async run({ config, log, positionals }) {
    if (positionals.length === 0) {
      console.error("ingest: name a corpus file or folder, e.g. npm run cli -- ingest corpus/");
      return 2;
    }
    const database = await openDatabase(config, log);
    try {
      for (const target of positionals) {
        const report = await ingestPath(database.db, target);
        for (const line of formatIngestReport(report)) console.log(line);
        if (report.added || report.updated) console.log(`matched: ${(await refreshMatching(database.db)).indexed.length} paper(s) indexed for topics and keywords`);
      }
      return 0;
    } finally {
      await database.close();
    }
  },
};
