// The saved-pages folder (CORPUS_DIR) as a source: every *.txt file, in name order, parsed exactly as `ingest` does.
import fs from "node:fs/promises";
import path from "node:path";
import { fromSavedPage, listCorpusFiles } from "../corpus/ingest.ts";
import { parseCorpus } from "../corpus/parse.ts";
import type { Source, SourceBatch } from "./types.ts";

export function folderSource(corpusDir: string): Source {
  return {
    name: "folder",
    describe: () => path.relative(process.cwd(), corpusDir) || corpusDir,
    async *fetch(): AsyncIterable<SourceBatch> {
      const files = await listCorpusFiles(corpusDir);
      for (const file of files) {
        const parsed = parseCorpus(await fs.readFile(file), path.relative(process.cwd(), file) || file);
        yield {
          label: path.basename(file),
          seenIn: path.basename(file),
          papers: fromSavedPage(parsed.papers),
          warnings: parsed.warnings.map((w) => `${w.file}:${w.line}: ${w.message}`),
          total: files.length,
        };
      }
    },
  };
}
