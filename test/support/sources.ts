// Sources pointed at a fixture server, with a test database and a clock the test moves.
import { loadConfig } from "../../src/config.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { createSources } from "../../src/sources/registry.ts";
import type { SourceRunDeps } from "../../src/sources/run.ts";
import type { TestDatabase } from "./database.ts";

/** Test settings: both APIs at `upstream`, short timeouts and backoff so failure tests stay fast. */
export function sourcesConfig(upstream: string, env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    SOURCES_CONTACT: "ops@digest.example.org",
    HF_API_BASE_URL: upstream,
    ARXIV_API_BASE_URL: upstream,
    ARXIV_CATEGORIES: "cs.LG,cs.CL",
    ARXIV_REQUEST_INTERVAL_SECONDS: "0",
    SOURCES_TIMEOUT_SECONDS: "2",
    SOURCES_RETRIES: "2",
    SOURCES_RETRY_BASE_SECONDS: "0.02",
    ...env,
  });
}

export function sourceDeps(database: TestDatabase, config: ReturnType<typeof loadConfig>, clock: { now: Date }, log: Logger = createLogger("silent")): SourceRunDeps {
  return { db: database.db, databaseUrl: database.url, log, sources: createSources(config, database.db, log), now: () => clock.now };
}
