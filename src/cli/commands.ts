import type { Command } from "./command.ts";
import { digestCommand } from "./digest.ts";
import { ingestCommand } from "./ingest.ts";
import { migrateCommand, newMigrationCommand } from "./migrate.ts";
import { sourcesCommand } from "./sources.ts";
import { statsCommand } from "./stats.ts";
import { workerCommand } from "./worker.ts";

export const commands: Record<string, Command> = {
  ingest: ingestCommand,
  digest: digestCommand,
  sources: sourcesCommand,
  stats: statsCommand,
  worker: workerCommand,
  migrate: migrateCommand,
  "migration:new": newMigrationCommand,
};
