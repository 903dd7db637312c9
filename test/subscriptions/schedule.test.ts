import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeCadence, describeMoment, nextDelivery, zonedInstant } from "../../src/subscriptions/schedule.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const berlin = { timezone: "Europe/Berlin", sendHour: 7, cadence: "daily" as const, weekday: 1 };

describe("the next delivery", () => {
  it("after confirming at 17:53 with a 07:00 hour is tomorrow at 07:00", () => {
    const confirmed = new Date("2026-11-24T16:53:00Z"); // 17:53 in Berlin
    const next = nextDelivery(berlin, confirmed);
    expect(next.toISOString()).toBe("2026-11-25T06:00:00.000Z");
    expect(describeMoment(next, confirmed, "Europe/Berlin")).toBe("tomorrow, 07:00 Europe/Berlin");
  });

  it("is today's when the hour has not come yet, and says so", () => {
    const now = new Date("2026-11-24T04:00:00Z");
    const next = nextDelivery(berlin, now);
    expect(next.toISOString()).toBe("2026-11-24T06:00:00.000Z");
    expect(describeMoment(next, now, "Europe/Berlin")).toBe("today, 07:00 Europe/Berlin");
  });

  it("is the chosen weekday for a weekly reader, named by its date", () => {
    const weekly = { ...berlin, cadence: "weekly" as const, weekday: 1 };
    const now = new Date("2026-11-25T10:00:00Z"); // a Wednesday
    const next = nextDelivery(weekly, now);
    expect(next.toISOString()).toBe("2026-11-30T06:00:00.000Z");
    expect(describeMoment(next, now, "Europe/Berlin")).toBe("Mon 30 Nov, 07:00 Europe/Berlin");
    expect(describeCadence(weekly)).toBe("every Monday at 07:00");
    expect(describeCadence(berlin)).toBe("every day at 07:00");
  });

  it("follows daylight saving time and the date line", () => {
    expect(nextDelivery(berlin, new Date("2026-03-28T12:00:00Z")).toISOString()).toBe("2026-03-29T05:00:00.000Z"); // CEST starts
    expect(nextDelivery(berlin, new Date("2026-10-24T12:00:00Z")).toISOString()).toBe("2026-10-25T06:00:00.000Z"); // CET again
    const kiritimati = { timezone: "Pacific/Kiritimati", sendHour: 8, cadence: "daily" as const, weekday: 1 };
    expect(nextDelivery(kiritimati, new Date("2026-11-24T12:00:00Z")).toISOString()).toBe("2026-11-24T18:00:00.000Z");
  });
});

describe("the delivery moment, compared with PostgreSQL's (the planner's) arithmetic", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("agrees for every zone, date and hour drawn (local times that exist)", async () => {
    const zones = ["Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns", "Africa/Casablanca", "UTC", "Pacific/Apia"];
    const cases = fc.sample(
      fc.record({ zone: fc.constantFrom(...zones), day: fc.integer({ min: 0, max: 730 }), hour: fc.integer({ min: 0, max: 23 }) }),
      { seed: 7, numRuns: 400 },
    );
    const dates = cases.map((c) => new Date(Date.UTC(2026, 0, 1) + c.day * 86_400_000).toISOString().slice(0, 10));
    const rows = await database.db.$queryRaw<{ at: Date; back: number }[]>`
      SELECT ((d::date + make_time(h, 0, 0)) AT TIME ZONE z) AS at,
             extract(hour FROM ((d::date + make_time(h, 0, 0)) AT TIME ZONE z) AT TIME ZONE z)::int AS back
      FROM unnest(${dates}::text[], ${cases.map((c) => c.hour)}::int[], ${cases.map((c) => c.zone)}::text[]) WITH ORDINALITY AS x(d, h, z, i) ORDER BY i`;
    let compared = 0;
    for (const [i, c] of cases.entries()) {
      // A local hour skipped by a DST change does not exist; PostgreSQL and we may pick different instants for it.
      if (rows[i]!.back !== c.hour) continue;
      const [y, m, d] = dates[i]!.split("-").map(Number) as [number, number, number];
      expect(zonedInstant(y, m, d, c.hour, c.zone).toISOString(), `${dates[i]} ${c.hour}:00 ${c.zone}`).toBe(rows[i]!.at.toISOString());
      compared += 1;
    }
    expect(compared).toBeGreaterThan(390);
  });
});
