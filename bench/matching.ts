// `npm run bench:matching [-- --set shared|dev|heldout] [--feedback]`: the matching quality tables (precision of the
// first email, recall over a week, feedback effect) for the README, on a throwaway embedded PostgreSQL.
import { parseArgs } from "node:util";
import { createDb } from "../src/db/client.ts";
import { dropDatabase, ensureDatabase, MIGRATIONS_DIR, SCHEMA_PATH } from "../src/db/database.ts";
import { startEmbeddedPostgres, withDatabase } from "../src/db/embedded.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import { sharedCorpusPresent } from "../test/support/corpus.ts";
import { evaluateMatching, type EvaluationSet, formatEvaluation, loadSharedSet, loadWrittenSet } from "../test/support/matching-eval.ts";

const { values } = parseArgs({ options: { set: { type: "string", multiple: true }, feedback: { type: "boolean" }, "show-heldout-keywords": { type: "boolean" } } });
// --feedback: papers arrive over five days and twin readers vote on their first two emails (the feedback effect).
const wanted = values.set ?? ["shared", "dev", "heldout"];
const sets: EvaluationSet[] = [];
if (wanted.includes("shared") && sharedCorpusPresent) sets.push(loadSharedSet());
if (wanted.includes("dev")) sets.push(loadWrittenSet("dev-papers.json"));
if (wanted.includes("heldout")) sets.push(loadWrittenSet("heldout-papers.json"));
if (wanted.includes("heldout2")) sets.push(loadWrittenSet("heldout2-papers.json"));
if (wanted.includes("heldout3")) sets.push(loadWrittenSet("heldout3-papers.json"));
if (wanted.includes("heldout4")) sets.push(loadWrittenSet("heldout4-papers.json"));
if (wanted.includes("heldout5")) sets.push(loadWrittenSet("heldout5-papers.json"));

const server = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, stop: async () => {} } : await startEmbeddedPostgres({ port: 56500 + (process.pid % 3000), persistent: false });
try {
  for (const set of sets) {
    const name = `tpd_matching_${set.name}_${Date.now()}`;
    await ensureDatabase(server.url, name);
    const url = withDatabase(server.url, name);
    await applyMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
    const db = createDb(url);
    try {
      const started = Date.now();
      const evaluation = await evaluateMatching(db, set, values.feedback ? { feedback: true, arrivals: (process.env.ARRIVALS as "daily" | "together" | undefined) ?? "daily" } : {});
      // The held-out set's interests are shown by id: its keywords stay unread while the vocabulary is tuned.
      console.log(`\n${formatEvaluation(evaluation, { hideLabels: set.name === "heldout5" && !values["show-heldout-keywords"] })}\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } finally {
      await db.$disconnect();
      await dropDatabase(server.url, name);
    }
  }
} finally {
  await server.stop();
}
