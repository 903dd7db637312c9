import type { Command } from "./command.ts";
import { ingestCommand } from "./ingest.ts";
import { migrateCommand, newMigrationCommand } from "./migrate.ts";

export const commands: Record<string, Command> = {
  ingest: ingestCommand,
  migrate: migrateCommand,
  "migration:new": newMigrationCommand,
};
