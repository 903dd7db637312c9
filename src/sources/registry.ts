// The three sources, built from the config. All exist (so `sources fetch --source arxiv` works by hand); only the
// ones in SOURCES are scheduled.
import type { Config, SourceName } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import { arxivSource } from "./arxiv.ts";
import { createFetcher } from "./fetcher.ts";
import { folderSource } from "./folder.ts";
import { huggingFaceSource } from "./huggingface.ts";
import type { Source } from "./types.ts";
import { databaseValidators } from "./validators.ts";

export function createSources(config: Config, db: Db, log: Logger): Record<SourceName, Source> {
  const { sources } = config;
  const common = { ...sources.fetch, userAgent: sources.userAgent, validators: databaseValidators(db), log };
  return {
    folder: folderSource(config.corpusDir),
    huggingface: huggingFaceSource(sources.huggingface, createFetcher(common)),
    // Its own fetcher: arXiv's 3 s spacing holds across every request of this process, retries included.
    arxiv: arxivSource(sources.arxiv, createFetcher({ ...common, minIntervalMs: sources.arxiv.requestIntervalMs })),
  };
}
