// A fresh database per test file, cloned from the migrated template (fast: a file copy inside PostgreSQL).
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createDb, type Db } from "../../src/db/client.ts";
import { dropDatabase, ensureDatabase } from "../../src/db/database.ts";
import { withDatabase } from "../../src/db/embedded.ts";

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject("pgServerUrl");
  const name = `tpd_test_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(serverUrl, name, inject("templateDatabase"));
  const url = withDatabase(serverUrl, name);
  const db = createDb(url);
  return {
    url,
    db,
    drop: async () => {
      await db.$disconnect();
      await dropDatabase(serverUrl, name);
    },
  };
}
