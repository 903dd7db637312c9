// Once per test run: one PostgreSQL server (embedded, or DATABASE_URL's) and a migrated template database.
import type { TestProject } from "vitest/node";
import { dropDatabase, ensureDatabase, MIGRATIONS_DIR, SCHEMA_PATH } from "../../src/db/database.ts";
import { startEmbeddedPostgres, withDatabase } from "../../src/db/embedded.ts";
import { applyMigrations } from "../../src/db/migrate.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgServerUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  const server = external
    ? { url: external, stop: async () => {} }
    : await startEmbeddedPostgres({ port: 55000 + (process.pid % 5000), persistent: false });
  const template = `tpd_template_${process.pid}`;
  await ensureDatabase(server.url, template);
  await applyMigrations({ connectionString: withDatabase(server.url, template), migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
  project.provide("pgServerUrl", server.url);
  project.provide("templateDatabase", template);
  return async () => {
    await dropDatabase(server.url, template);
    await server.stop();
  };
}
