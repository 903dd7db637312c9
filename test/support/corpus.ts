import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../src/config.ts";

/** The real corpus lives beside the repo (../shared/corpus), never inside it. */
export const SHARED_CORPUS_DIR = path.resolve(PROJECT_ROOT, "..", "shared", "corpus");
export const SHARED_CORPUS_FILE = path.join(SHARED_CORPUS_DIR, "000_71b88eeb387be530.txt");
export const SAMPLE_CORPUS_DIR = path.join(PROJECT_ROOT, "corpus");

export const sharedCorpusPresent = fs.existsSync(SHARED_CORPUS_FILE);
if (!sharedCorpusPresent) {
  console.warn(`[skip] shared corpus not found at ${SHARED_CORPUS_FILE}: tests on the real corpus are skipped`);
}
