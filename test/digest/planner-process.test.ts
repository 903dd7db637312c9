// Planning in a lean process of its own (what the scheduler and `digest run` do): the digests it plans are handed back
// batch by batch, and whatever goes wrong in it reaches the caller instead of being lost.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../src/db/availability.ts";
import { poolOf } from "../../src/db/client.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { PlanningProcessError, planInOwnProcess } from "../../src/digest/planner-process.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, ingestPapers } from "../support/digest.ts";

const NOW = new Date("2026-11-24T12:00:00Z");
const DATE = "2026-11-24";
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  await ingestPapers(
    database.db,
    Array.from({ length: 8 }, (_, i) => ({ title: `Continual Learning Without Catastrophic Forgetting, Part ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date("2026-11-22T18:00:00Z"),
  );
});
afterAll(async () => {
  await database?.drop();
});
beforeEach(async () => {
  await poolOf(database.db).query("DROP TRIGGER IF EXISTS refuse_digest ON digests");
  await database.db.digest.deleteMany();
  await database.db.subscriber.deleteMany();
});

async function addReaders(count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await addSubscriber(database.db, `reader${i}@example.com`, { topics: ["continual-learning"] })).id);
  return ids;
}

describe("the planning process", () => {
  it("plans every reader's digest and hands each committed batch's ids back, in another process", async () => {
    await addReaders(5);
    const batches: string[][] = [];
    const plan = await planAllDigests(database.db, { now: NOW, date: DATE, batchSize: 2, ownProcess: true, onBatch: (ids) => void batches.push(ids) });

    expect(plan.planned).toBe(5);
    expect(batches.map((b) => b.length).sort()).toEqual([1, 2, 2]);
    const planned = await database.db.digest.findMany({ where: { status: "planned" }, select: { id: true, paperIds: true } });
    expect(batches.flat().sort()).toEqual(planned.map((d) => d.id).sort());
    expect(planned.every((d) => d.paperIds.length > 0)).toBe(true);
    // What the process used comes back with the totals (the scheduler logs it).
    expect(plan.planner!.peakRssMb).toBeGreaterThan(0);
    expect(plan.planner!.cpuMs).toBeGreaterThan(0);

    // Run again: nothing new (one digest per reader and day, whichever process plans it).
    const again = await planAllDigests(database.db, { now: NOW, date: DATE, ownProcess: true });
    expect(again).toMatchObject({ planned: 0, skipped: 0 });
  });

  it("reports a failure inside it with its message, after handing back what it had committed", async () => {
    const ids = await addReaders(4);
    const last = [...ids].sort().at(-1)!;
    // The last batch's insert fails (a constraint the database enforces, as a real failure would come).
    await poolOf(database.db).query(`
      CREATE OR REPLACE FUNCTION refuse_digest() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.subscriber_id = '${last}' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_digest BEFORE INSERT ON digests FOR EACH ROW EXECUTE FUNCTION refuse_digest();`);
    const handedBack: string[] = [];
    const planning = planAllDigests(database.db, { now: NOW, date: DATE, batchSize: 2, parallel: 1, ownProcess: true, onBatch: (batch) => void handedBack.push(...batch) });

    await expect(planning).rejects.toThrow(PlanningProcessError);
    await expect(planning).rejects.toThrow(/planning process: refused for the test/);
    // The first batch was committed and handed back; the failed one rolled back whole.
    const planned = await database.db.digest.findMany({ select: { id: true } });
    expect(planned).toHaveLength(2);
    expect(handedBack.sort()).toEqual(planned.map((d) => d.id).sort());
  });

  it("stops the process when the caller cannot take a batch, and rejects with the caller's error", async () => {
    await addReaders(6);
    let calls = 0;
    const planning = planAllDigests(database.db, {
      now: NOW,
      date: DATE,
      batchSize: 2,
      parallel: 1,
      ownProcess: true,
      onBatch: () => {
        calls += 1;
        throw new Error("queue unavailable");
      },
    });
    await expect(planning).rejects.toThrow("queue unavailable");
    expect(calls).toBe(1);
    // Whatever it committed before it was stopped is planned, and the next run plans the rest (the sweeper queues
    // digests left unqueued).
    const rest = await planAllDigests(database.db, { now: NOW, date: DATE, ownProcess: true });
    expect(await database.db.digest.count({ where: { status: "planned" } })).toBe(6);
    expect(rest.planned).toBeLessThan(6);
  });

  it("reports an unreachable database as one (the outage gate waits and plans again)", async () => {
    const planning = planInOwnProcess("postgresql://postgres:postgres@127.0.0.1:1/none", { selection: { kind: "all", date: DATE }, now: NOW.toISOString() }, undefined);
    const err = await planning.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlanningProcessError);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
});
