// Validators (ETag, Last-Modified) of responses that were fetched and stored, kept in the database so every app
// process, and the next run after a restart, can ask "changed since?".
import type { Db } from "../db/client.ts";
import type { ValidatorStore } from "./fetcher.ts";

export function databaseValidators(db: Db): ValidatorStore {
  return {
    async get(url) {
      const row = await db.httpValidator.findUnique({ where: { url } });
      return row ? { etag: row.etag, lastModified: row.lastModified } : undefined;
    },
    async set(url, v) {
      await db.httpValidator.upsert({
        where: { url },
        create: { url, etag: v.etag ?? null, lastModified: v.lastModified ?? null },
        update: { etag: v.etag ?? null, lastModified: v.lastModified ?? null },
      });
    },
  };
}
