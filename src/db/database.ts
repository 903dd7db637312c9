// Opens the database the config names (or an embedded one), brings its schema up to date, and hands out a client.
import path from "node:path";
import pg from "pg";
import { type Config, PROJECT_ROOT } from "../config.ts";
import type { Logger } from "../log.ts";
import { createDb, type Db } from "./client.ts";
import { startEmbeddedPostgres, withDatabase } from "./embedded.ts";
import { applyMigrations } from "./migrate.ts";

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma", "migrations");
export const SCHEMA_PATH = path.join(PROJECT_ROOT, "prisma", "schema.prisma");
const EMBEDDED_DATABASE = "trending_papers";

export interface Database {
  url: string;
  db: Db;
  /** Migrations this open applied (empty when the schema was up to date). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

/** The server URL to use: DATABASE_URL, or a persistent embedded PostgreSQL started now. */
export async function resolveDatabaseUrl(config: Config, log: Logger): Promise<{ url: string; stop: () => Promise<void> }> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => {} };
  log.info(`DATABASE_URL is not set: starting embedded PostgreSQL (data in ${path.relative(PROJECT_ROOT, config.pgDataDir)})`);
  const server = await startEmbeddedPostgres({ dataDir: config.pgDataDir, port: config.embeddedPgPort, persistent: true, log: (l) => log.debug(`postgres: ${l}`) });
  await ensureDatabase(server.url, EMBEDDED_DATABASE);
  return { url: withDatabase(server.url, EMBEDDED_DATABASE), stop: server.stop };
}

export async function openDatabase(config: Config, log: Logger, opts: { migrate?: boolean; poolSize?: number; onMigrate?: () => void } = {}): Promise<Database> {
  const server = await resolveDatabaseUrl(config, log);
  let applied: string[] = [];
  try {
    if (opts.migrate !== false) {
      opts.onMigrate?.();
      applied = await applyMigrations({ connectionString: server.url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
      if (applied.length) log.info(`applied migrations: ${applied.join(", ")}`);
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const db = createDb(server.url, { poolSize: opts.poolSize });
  return {
    url: server.url,
    db,
    appliedMigrations: applied,
    close: async () => {
      await db.$disconnect();
      await server.stop();
    },
  };
}

/** Creates `name` on the server if missing (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(serverUrl: string, name: string, template?: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) {
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      await client.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ""}`).catch((err: { code?: string }) => {
        if (err.code !== "42P04") throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

/** Drops `name` on the server, disconnecting whoever is still connected (throwaway test and bench databases). */
export async function dropDatabase(serverUrl: string, name: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
