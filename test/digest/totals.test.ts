// The digest event totals every process adds to (tpd_digest_events_total): exact sums under concurrent adds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDigestTotals, outcomeTotals, planTotals } from "../../src/digest/totals.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe("digest totals", () => {
  it("add up exactly when many processes add at once", async () => {
    const batches = Array.from({ length: 24 }, (_, i) =>
      outcomeTotals(i % 2 ? ["retry", "bounced", "sent", "sent", "skipped", "gave-up", "not-claimed"] : ["gave-up", "skipped", "sent", "bounced", "retry"]),
    );
    await Promise.all([...batches.map((b) => addDigestTotals(database.db, b)), addDigestTotals(database.db, planTotals({ planned: ["a", "b", "c"], skipped: 2 })), addDigestTotals(database.db, {})]);
    const rows = await database.db.digestTotal.findMany({ orderBy: { event: "asc" } });
    expect(Object.fromEntries(rows.map((r) => [r.event, Number(r.count)]))).toEqual({ bounced: 24, failed: 24, planned: 3, retried: 24, sent: 36, skipped_inactive: 24, skipped_nothing_new: 2 });
  });
});
