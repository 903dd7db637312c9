import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { canonicalMailbox } from "../../src/subscriptions/mailbox.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

describe("the canonical mailbox", () => {
  it.each([
    ["Some.One@Gmail.com", "someone@gmail.com"],
    ["some.one+news@googlemail.com", "someone@gmail.com"],
    ["First.Last+tag@Example.org", "first.last@example.org"],
    ["first.last@example.org", "first.last@example.org"],
    ["firstlast@example.org", "firstlast@example.org"],
    ["a+b+c@example.org", "a@example.org"],
  ])("of %s is %s", (address, mailbox) => {
    expect(canonicalMailbox(address)).toBe(mailbox);
  });

  describe("backfill of existing subscribers", () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it("computes in SQL exactly what the app computes", async () => {
      const addresses = ["Some.One@gmail.com", "s.o.m.e+x@googlemail.com", "First.Last+tag@example.org", "plain@example.org", "UPPER.Case+a+b@sub.example.co.uk"];
      for (const email of addresses) await database.db.subscriber.create({ data: { email, keywords: [] } });
      const sql = fs.readFileSync(path.join(PROJECT_ROOT, "prisma/migrations/20261125190740_subscriber_mailbox/migration.sql"), "utf8");
      await database.db.$executeRawUnsafe(sql.slice(sql.indexOf("UPDATE")));
      const rows = await database.db.subscriber.findMany({ select: { email: true, mailbox: true } });
      expect(rows).toHaveLength(addresses.length);
      for (const row of rows) expect(row.mailbox, row.email).toBe(canonicalMailbox(row.email));
    });
  });
});
