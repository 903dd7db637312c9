import { MIGRATIONS_DIR, SCHEMA_PATH, openDatabase, resolveDatabaseUrl } from "../db/database.ts";
import { createMigration } from "../db/migrate.ts";
import type { Command } from "./command.ts";

export const migrateCommand: Command = {
  summary: "Apply the migrations in prisma/migrations/ that the database has not seen yet.",
  async run({ config, log }) {
    const database = await openDatabase(config, log);
    await database.close();
    console.log(database.appliedMigrations.length ? `applied migrations: ${database.appliedMigrations.join(", ")}` : "no pending migrations");
    console.log("database schema is up to date");
    return 0;
  },
};

export const newMigrationCommand: Command = {
  summary: "Write a new migration from the difference between prisma/migrations/ and prisma/schema.prisma.",
  usage: "migration:new <name>",
  async run({ config, log, positionals }) {
    const name = positionals[0];
    if (!name || !/^[a-z0-9_]+$/.test(name)) {
      console.error("migration:new: give a name in snake_case, e.g. npm run db:migration -- add_paper_authors");
      return 2;
    }
    const server = await resolveDatabaseUrl(config, log);
    try {
      const folder = await createMigration({ connectionString: server.url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH, name });
      console.log(folder ? `wrote ${folder}/migration.sql — review it, then npm run db:migrate` : "the schema matches the migrations: nothing to write");
      return 0;
    } finally {
      await server.stop();
    }
  },
};
