import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runDigestTick } from "../../jobs/daily-digest.ts";
import { planAllDigests, planDueDigests } from "../../src/digest/plan.ts";
import { inTransaction, poolOf } from "../../src/db/client.ts";
import { loadDigestPapers, PAGE_END } from "../../src/digest/queries.ts";
import { CLAIM_SQL, claimDigests } from "../../src/digest/send-queries.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, BASE_URL, eventually, ingestPapers, itemsOf, startPipeline } from "../support/digest.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

let database: TestDatabase;
let sink: SmtpSink;
beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  sink = await startSmtpSink();
  await ingestPapers(
    database.db,
    Array.from({ length: 12 }, (_, i) => ({ title: `Continual Learning Without Catastrophic Forgetting, Part ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date("2026-11-20T18:00:00Z"), // inside the 7-day trending window for every planning date below (24th to 27th)
  );
});
afterAll(async () => {
  await sink?.stop();
  await database?.drop();
});
beforeEach(async () => {
  sink.clear();
  sink.failWith = undefined;
  sink.failDataWith = undefined;
  await database.db.digest.deleteMany();
  await database.db.subscriber.deleteMany();
  await database.db.suppression.deleteMany();
});

describe("scheduling across time zones", () => {
  it("plans Tokyo's digest for its local tomorrow and Los Angeles' for its local today, each at its own hour", async () => {
    const { db } = database;
    const tokyo = await addSubscriber(db, "tokyo@example.com", { topics: ["continual-learning"], timezone: "Asia/Tokyo", sendHour: 8 });
    const la = await addSubscriber(db, "la@example.com", { topics: ["continual-learning"], timezone: "America/Los_Angeles", sendHour: 8 });

    // 22:00 UTC: Tokyo 07:00 on the 25th (not yet), LA 14:00 on the 24th (due).
    await planDueDigests(db, { now: new Date("2026-11-24T22:00:00Z") });
    expect((await db.digest.findMany({ where: { subscriberId: tokyo.id } })).length).toBe(0);
    const laDigests = await db.digest.findMany({ where: { subscriberId: la.id } });
    expect(laDigests.map((d) => d.localDate.toISOString().slice(0, 10))).toEqual(["2026-11-24"]);

    // 23:30 UTC: Tokyo 08:30 on the 25th (due); LA already has today's.
    await planDueDigests(db, { now: new Date("2026-11-24T23:30:00Z") });
    const tokyoDigests = await db.digest.findMany({ where: { subscriberId: tokyo.id } });
    expect(tokyoDigests.map((d) => d.localDate.toISOString().slice(0, 10))).toEqual(["2026-11-25"]);
    expect(await db.digest.count({ where: { subscriberId: la.id } })).toBe(1);
  });

  it("does not let one reader's zone unknown to PostgreSQL stop everyone's digests", async () => {
    const { db } = database;
    await addSubscriber(db, "odd-zone@example.com", { topics: ["continual-learning"], timezone: "US/Pacific-New" });
    await addSubscriber(db, "normal@example.com", { topics: ["continual-learning"] });
    await planDueDigests(db, { now: new Date("2026-11-24T12:00:00Z") });
    await planAllDigests(db, { now: new Date("2026-11-25T12:00:00Z"), date: "2026-11-25" });
    const planned = await db.digest.findMany({ include: { subscriber: true } });
    expect(planned.map((d) => d.subscriber.email)).toEqual(["normal@example.com", "normal@example.com"]);
  });

  it("catches up a digest whose hour passed while the service was down, and never plans paused, unsubscribed, bounced or suppressed readers", async () => {
    const { db } = database;
    await addSubscriber(db, "late@example.com", { topics: ["continual-learning"], sendHour: 6 });
    for (const status of ["paused", "unsubscribed", "bounced", "pending"] as const) await addSubscriber(db, `${status}@example.com`, { topics: ["continual-learning"], status });
    await addSubscriber(db, "suppressed@example.com", { topics: ["continual-learning"] });
    await db.suppression.create({ data: { email: "suppressed@example.com", reason: "complained" } });
    await planDueDigests(db, { now: new Date("2026-11-24T21:00:00Z") }); // 15 hours after 06:00
    const planned = await db.digest.findMany({ include: { subscriber: true } });
    expect(planned.map((d) => d.subscriber.email)).toEqual(["late@example.com"]);
  });
});

describe("the first digest", () => {
  it("comes at the first delivery hour after the reader confirmed, not at the next scheduler tick", async () => {
    const { db } = database;
    // Confirmed at 17:53 in Berlin (16:53 UTC) with a 07:00 delivery hour.
    const reader = await addSubscriber(db, "new-reader@example.com", { topics: ["continual-learning"], timezone: "Europe/Berlin", sendHour: 7, confirmedAt: new Date("2026-11-24T16:53:00Z") });
    for (const tick of ["2026-11-24T17:00:00Z", "2026-11-24T21:00:00Z", "2026-11-25T05:45:00Z"]) await planDueDigests(db, { now: new Date(tick) });
    expect(await db.digest.count({ where: { subscriberId: reader.id } })).toBe(0);
    await planDueDigests(db, { now: new Date("2026-11-25T06:00:00Z") }); // 07:00 in Berlin
    const digests = await db.digest.findMany({ where: { subscriberId: reader.id } });
    expect(digests.map((d) => [d.localDate.toISOString().slice(0, 10), d.status])).toEqual([["2026-11-25", "planned"]]);
  });

  it("is today's when the reader confirmed before today's delivery hour", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "early-reader@example.com", { topics: ["continual-learning"], timezone: "Europe/Berlin", sendHour: 7, confirmedAt: new Date("2026-11-24T04:10:00Z") });
    await planDueDigests(db, { now: new Date("2026-11-24T06:00:00Z") });
    expect((await db.digest.findMany({ where: { subscriberId: reader.id } })).map((d) => d.localDate.toISOString().slice(0, 10))).toEqual(["2026-11-24"]);
  });
});

describe("weekly readers", () => {
  it("get one digest a week, on their weekday at their hour, with up to 20 of the week's best papers and none twice", async () => {
    const { db } = database;
    // 2026-11-23 is a Monday. 30 papers of a topic no other test reads, then 10 more the next week.
    const diffusionPaper = (i: number) => ({ title: `Denoising Diffusion Models for Image Generation, Study ${i}`, abstract: abstractAbout("denoising diffusion models for image generation", 100 + i) });
    await ingestPapers(db, Array.from({ length: 30 }, (_, i) => diffusionPaper(i + 1)), new Date("2026-11-22T09:00:00Z"));
    const weekly = await addSubscriber(db, "weekly@example.com", { topics: ["diffusion"], cadence: "weekly", weekday: 4, sendHour: 9, maxPapers: 20 });
    const daily = await addSubscriber(db, "daily@example.com", { topics: ["diffusion"], sendHour: 9, maxPapers: 3 });
    for (let day = 23; day <= 29; day++) {
      for (const hour of ["08:45", "09:00", "15:00"]) await planDueDigests(db, { now: new Date(`2026-11-${day}T${hour}:00Z`) });
    }
    const weeklyItems = await itemsOf(db, { subscriberId: weekly.id });
    // Thursday the 26th only, with 20 papers.
    expect([...new Set(weeklyItems.map((i) => i.digest.localDate.toISOString().slice(0, 10)))]).toEqual(["2026-11-26"]);
    expect(weeklyItems).toHaveLength(20);
    expect(await db.digest.count({ where: { subscriberId: weekly.id } })).toBe(1);
    expect(await db.digest.count({ where: { subscriberId: daily.id } })).toBe(7);
    // The week's best by the one scoring model: the same 20 a planner's ranking puts first for these preferences.
    const { startPlanningRun } = await import("../../src/digest/planning.ts");
    const { rankCandidates } = await import("../../src/digest/candidates.ts");
    const run = await startPlanningRun(poolOf(db), new Date("2026-11-26T09:00:00Z"));
    const topic = await db.topic.findUniqueOrThrow({ where: { slug: "diffusion" } });
    const best = rankCandidates(run.inputs, { topicIds: [topic.id], keywords: [] }).slice(0, 20).map((c) => c.paperId);
    expect(weeklyItems.map((i) => i.paperId)).toEqual(best);

    // The next Thursday: a second digest of the new papers, none of the first one's.
    await ingestPapers(db, Array.from({ length: 10 }, (_, i) => diffusionPaper(i + 31)), new Date("2026-11-30T09:00:00Z"));
    for (const day of ["2026-11-30", "2026-12-02", "2026-12-03"]) await planDueDigests(db, { now: new Date(`${day}T10:00:00Z`) });
    const all = await itemsOf(db, { subscriberId: weekly.id });
    const perDate = new Map<string, number>();
    for (const i of all) perDate.set(i.digest.localDate.toISOString().slice(0, 10), (perDate.get(i.digest.localDate.toISOString().slice(0, 10)) ?? 0) + 1);
    expect([...perDate]).toEqual([["2026-11-26", 20], ["2026-12-03", 10]]);
    const papers = all.map((i) => i.paperId);
    expect(new Set(papers).size).toBe(papers.length);
  });

  it("moving the weekday within a week does not bring a second digest that week", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "mover@example.com", { topics: ["continual-learning"], cadence: "weekly", weekday: 1, sendHour: 9 });
    await planDueDigests(db, { now: new Date("2026-11-23T10:00:00Z") }); // Monday
    await db.subscriber.update({ where: { id: reader.id }, data: { weekday: 3 } });
    await planDueDigests(db, { now: new Date("2026-11-25T10:00:00Z") }); // Wednesday, same week
    await planDueDigests(db, { now: new Date("2026-12-02T10:00:00Z") }); // next Wednesday
    const dates = (await db.digest.findMany({ where: { subscriberId: reader.id }, orderBy: { localDate: "asc" } })).map((d) => d.localDate.toISOString().slice(0, 10));
    expect(dates).toEqual(["2026-11-23", "2026-12-02"]);
  });

  it("are in 'digest run' on their weekday only", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "weekly-run@example.com", { topics: ["continual-learning"], cadence: "weekly", weekday: 2 });
    await planAllDigests(db, { now: new Date("2026-11-23T12:00:00Z"), date: "2026-11-23" }); // Monday
    expect(await db.digest.count({ where: { subscriberId: reader.id } })).toBe(0);
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-24" }); // Tuesday
    expect(await db.digest.count({ where: { subscriberId: reader.id } })).toBe(1);
  });
});

describe("a timed pause", () => {
  it("ends by itself: no digest while it lasts, digests again after", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "break@example.com", { topics: ["continual-learning"], status: "paused", pausedUntil: new Date("2026-11-25T00:00:00Z") });
    await planDueDigests(db, { now: new Date("2026-11-24T12:00:00Z") });
    expect(await db.digest.count({ where: { subscriberId: reader.id } })).toBe(0);
    await planDueDigests(db, { now: new Date("2026-11-25T12:00:00Z") });
    expect(await db.subscriber.findUniqueOrThrow({ where: { id: reader.id } })).toMatchObject({ status: "active", pausedUntil: null });
    expect(await db.digest.count({ where: { subscriberId: reader.id } })).toBe(1);
  });
});

describe("selection", () => {
  it("never repeats a paper over several days until the matching papers run out, then records skipped", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "reader@example.com", { topics: ["continual-learning"], maxPapers: 5 });
    for (const day of ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]) await planAllDigests(db, { now: new Date(`${day}T12:00:00Z`), date: day });
    const digests = await db.digest.findMany({ where: { subscriberId: reader.id }, orderBy: { localDate: "asc" } });
    const items = await itemsOf(db, { subscriberId: reader.id });
    const itemsOfDigest = (id: string) => items.filter((i) => i.digestId === id);
    expect(digests.map((d) => [d.status, itemsOfDigest(d.id).length])).toEqual([
      ["planned", 5],
      ["planned", 5],
      ["planned", 2],
      ["skipped", 0],
    ]);
    const papers = digests.flatMap((d) => itemsOfDigest(d.id).map((i) => i.paperId));
    expect(new Set(papers).size).toBe(12);
  });

  it("keeps finding new papers for a reader who was sent more than a shared ranked list holds", async () => {
    const { db } = database;
    // 60 papers of one topic; ten a day, so from the fifth day on the reader has been sent more than LIST_DEPTH allows.
    await ingestPapers(
      db,
      Array.from({ length: 60 }, (_, i) => ({ title: `Mixture of Experts with Expert Routing, Study ${i + 1}`, abstract: abstractAbout("mixture of experts with sparse expert routing", i) })),
      new Date("2026-11-23T02:00:00Z"),
    );
    const reader = await addSubscriber(db, "avid@example.com", { keywords: ["mixture of experts"], maxPapers: 10 });
    const days = ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"];
    for (const day of days) await planAllDigests(db, { now: new Date(`${day}T12:00:00Z`), date: day });
    const items = await itemsOf(db, { subscriberId: reader.id });
    expect(items).toHaveLength(60);
    expect(new Set(items.map((i) => i.paperId)).size).toBe(60);
  });

  it("removes a deleted reader's digests with the reader, and leaves a deleted paper out of the digests that held it", async () => {
    const { db } = database;
    const gone = await addSubscriber(db, "gone@example.com", { topics: ["continual-learning"] });
    const stays = await addSubscriber(db, "stays@example.com", { topics: ["continual-learning"] });
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-24" });
    expect(await itemsOf(db, { subscriberId: gone.id })).toHaveLength(5);
    await db.subscriber.delete({ where: { id: gone.id } });
    expect(await db.digest.count({ where: { subscriberId: gone.id } })).toBe(0);
    const digest = await db.digest.findFirstOrThrow({ where: { subscriberId: stays.id } });
    const paper = await db.paper.findUniqueOrThrow({ where: { id: digest.paperIds[0]! } });
    await db.paper.delete({ where: { id: paper.id } });
    const shown = (await loadDigestPapers(db, [digest.id])).get(digest.id)!;
    expect(shown.map((p) => p.id)).toEqual(digest.paperIds.slice(1));
    // The other tests share the 12 papers: bring the deleted one back.
    await ingestPapers(db, [{ title: paper.displayTitle, abstract: paper.abstract }], paper.firstSeenAt);
  });

  it("never gives a reader a paper twice when planners of different dates run at once", async () => {
    const { db } = database;
    const readers = await Promise.all(Array.from({ length: 6 }, (_, i) => addSubscriber(db, `busy${i}@example.com`, { topics: ["continual-learning"], maxPapers: 4 })));
    // Three planners at the same moment, each for its own date: each reads the readers' history, and without the lock on
    // the reader's row all three would read none and pick the same four papers.
    const days = ["2026-11-24", "2026-11-25", "2026-11-26"];
    await Promise.all(days.map((day) => planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: day, batchSize: 2 })));
    for (const reader of readers) {
      const items = await itemsOf(db, { subscriberId: reader.id });
      expect(items).toHaveLength(12);
      expect(new Set(items.map((i) => i.paperId)).size).toBe(12);
    }
  });

  it("never repeats a paper of a digest planned for a past date", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "catchup@example.com", { topics: ["continual-learning"], maxPapers: 5 });
    // `digest run --date 2026-11-01` on the 24th: the digest's date lies long before the dates the planner reads
    // history from on the 26th; its papers still count.
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-01" });
    await planAllDigests(db, { now: new Date("2026-11-26T12:00:00Z"), date: "2026-11-26" });
    const items = await itemsOf(db, { subscriberId: reader.id });
    expect(items.map((i) => i.digest.localDate.toISOString().slice(0, 10))).toEqual([...Array(5).fill("2026-11-01"), ...Array(5).fill("2026-11-26")]);
    expect(new Set(items.map((i) => i.paperId)).size).toBe(10);
  });

  it("lets a later digest carry the papers of a digest that was skipped or given up", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "back@example.com", { topics: ["continual-learning"], maxPapers: 5 });
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-24" });
    await planAllDigests(db, { now: new Date("2026-11-25T12:00:00Z"), date: "2026-11-25" });
    const [first, second] = await db.digest.findMany({ where: { subscriberId: reader.id }, orderBy: { localDate: "asc" } });
    // The send pipeline skipped the first (the reader had paused) and gave up on the second.
    await db.digest.update({ where: { id: first!.id }, data: { status: "skipped" } });
    await db.digest.update({ where: { id: second!.id }, data: { status: "failed" } });
    await planAllDigests(db, { now: new Date("2026-11-26T12:00:00Z"), date: "2026-11-26" });
    const third = await db.digest.findFirstOrThrow({ where: { subscriberId: reader.id, localDate: new Date("2026-11-26") } });
    expect(third.paperIds).toEqual(first!.paperIds);
  });

  it("pages readers by walking the primary key, never by sorting every reader after the page start", async () => {
    const { db } = database;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await addSubscriber(db, `page${i}@example.com`, { topics: ["continual-learning"] })).id);
    ids.sort();
    // The pages' ends, as the planner walks them.
    expect((await poolOf(db).query(PAGE_END, [null, 2])).rows[0].id).toBe(ids[1]);
    expect((await poolOf(db).query(PAGE_END, [ids[1], 2])).rows[0].id).toBe(ids[3]);
    expect((await poolOf(db).query(PAGE_END, [ids[3], 2])).rows).toEqual([]);
    // On a table this small a sort would be cheap; with sorting priced out the plan shows whether the order comes from
    // the index (ordered by the id as text, no index gives the order and a Sort stays in the plan).
    const plan = await inTransaction(db, async (client) => {
      await client.query("SET LOCAL enable_sort = off");
      await client.query("SET LOCAL enable_seqscan = off");
      return (await client.query(`EXPLAIN ${PAGE_END}`, [ids[0], 2])).rows.map((r) => r["QUERY PLAN"]).join("\n");
    });
    expect(plan).toContain("subscribers_pkey");
    expect(plan).not.toMatch(/Sort/);
  });

  it("claims a batch by its ids alone, never reading the day's other planned digests", async () => {
    const { db } = database;
    // A day just planned: 3,000 planned digests the statistics know nothing of yet (as right after planning).
    for (let i = 0; i < 10; i++) await addSubscriber(db, `claim${i}@example.com`, { topics: ["continual-learning", "agents"] });
    await db.$executeRawUnsafe(`INSERT INTO digests (id, subscriber_id, local_date, status, updated_at)
      SELECT gen_random_uuid(), s.id, DATE '2026-01-01' + g, 'planned', now() FROM subscribers s, generate_series(0, 299) g`);
    const ids = (await db.digest.findMany({ select: { id: true }, take: 50 })).map((d) => d.id);
    const now = new Date().toISOString();
    const params = [`{${ids.join(",")}}`, now, "7c9e6679-7425-40de-944a-e07fc1f90ae7", now, now];
    const plan = (await poolOf(db).query(`EXPLAIN ${CLAIM_SQL}`, params)).rows.map((r) => r["QUERY PLAN"]).join("\n");
    // Each id is one primary-key lookup; the status index (every planned digest of the day) stays out, and a reader's
    // topics come from their own entries, not from probing every topic.
    expect(plan).toContain("digests_pkey");
    expect(plan).not.toContain("digests_status_local_date_idx");
    expect(plan).not.toMatch(/Seq Scan on topics/);
    // And it claims what it should: all 50, with their readers' topics.
    const claimed = await claimDigests(db, ids, { claimToken: "7c9e6679-7425-40de-944a-e07fc1f90ae7", now: new Date(), dueBefore: new Date(), staleBefore: new Date(0) });
    expect(claimed.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(claimed.every((d) => d.subscriber.topics.join() === "agents,continual-learning" || d.subscriber.topics.join() === "continual-learning,agents")).toBe(true);
  });

  it("gives digests time-ordered ids, so that new digests' rows land at the end of the primary key index", async () => {
    const { db } = database;
    await addSubscriber(db, "first@example.com", { topics: ["continual-learning"], sendHour: 7 });
    await addSubscriber(db, "second@example.com", { topics: ["continual-learning"], sendHour: 7 });
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-24" });
    const digests = await db.digest.findMany({ select: { id: true, plannedAt: true } });
    expect(digests).toHaveLength(2);
    for (const d of digests) {
      expect(d.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const millis = parseInt(d.id.replace(/-/g, "").slice(0, 12), 16);
      expect(Math.abs(millis - Date.now())).toBeLessThan(60_000);
    }
  });

  it("matches a reader's own keywords as full-text queries and says why", async () => {
    const { db } = database;
    await ingestPapers(db, [{ title: "Faster Decoding for Language Models", abstract: abstractAbout("speculative decoding with draft models") }], new Date("2026-11-23T01:00:00Z"));
    const reader = await addSubscriber(db, "keywords@example.com", { keywords: ["speculative decoding"] });
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-24" });
    const items = await itemsOf(db, { subscriberId: reader.id });
    expect(items.map((i) => [i.paper.displayTitle, i.matchedKeywords])).toEqual([["Faster Decoding for Language Models", ["speculative decoding"]]]);
  });
});

describe("sending", () => {
  let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
  });

  it("sends one email with list headers, links and escaped content; running the tick again sends nothing", async () => {
    const { db } = database;
    await ingestPapers(db, [{ title: "<script>alert(1)</script> Continual Learning Attack", abstract: abstractAbout("continual learning <b>bold</b>") }], new Date("2026-11-24T11:00:00Z"));
    await addSubscriber(db, "one@example.com", { topics: ["continual-learning"], maxPapers: 3 });
    pipeline = await startPipeline(db, database.url, sink.url);
    const now = new Date("2026-11-24T12:00:00Z");
    await runDigestTick({ ...pipeline.tickDeps, now: () => now });
    const [mail] = await sink.waitFor(1, "one@example.com");
    expect(mail!.subject).toBe("3 new papers: Continual Learning — Tue 24 Nov");
    const headers = mail!.raw.slice(0, mail!.raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " "); // unfold
    expect(headers).toMatch(/^List-Unsubscribe:\s+<https:\/\/digest\.example\.test\/unsubscribe\/[\w-]+\.[\w-]+\.[\w-]+>$/m);
    expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(headers).toMatch(/^List-Id: Trending Papers Digest <digest\.digest\.example\.test>$/im);
    expect(mail!.html).not.toContain("<script>alert(1)</script>");
    expect(mail!.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; Continual Learning Attack");
    expect(mail!.html).not.toContain("<b>bold</b>");
    expect(mail!.html).toContain(`${BASE_URL}/manage/`);
    expect(mail!.html).toContain(`${BASE_URL}/digests/`);
    expect(mail!.html).toMatch(/Why you got this: matched “(continual learning|catastrophic forgetting)”.* \(Continual &amp; Lifelong Learning\)/i);
    expect(mail!.text).toContain("<script>alert(1)</script> Continual Learning Attack"); // plain text is not HTML
    expect(mail!.text).toContain("Unsubscribe: https://digest.example.test/unsubscribe/");
    expect(mail!.text.split("\n")).toContain("-- "); // the signature separator survives the transfer encoding
    expect(mail!.html).toMatch(/<html[^>]* lang="en"/);
    expect(mail!.html).toContain("Trending Papers Digest, 1 Example Street");

    const digest = await db.digest.findFirstOrThrow({ where: { subscriber: { email: "one@example.com" } } });
    await eventually(async () => (await db.digest.findUniqueOrThrow({ where: { id: digest.id } })).status === "sent");
    expect((await db.digest.findUniqueOrThrow({ where: { id: digest.id } })).messageId).toBe(`<digest-${digest.id}@digest.example.test>`);

    await runDigestTick({ ...pipeline.tickDeps, now: () => new Date("2026-11-24T18:00:00Z") });
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.to("one@example.com")).toHaveLength(1);
  });

  it("sends nothing to a reader who unsubscribed after the digest was planned", async () => {
    const { db } = database;
    const reader = await addSubscriber(db, "gone@example.com", { topics: ["continual-learning"] });
    await planAllDigests(db, { now: new Date("2026-11-24T12:00:00Z"), date: "2026-11-24" });
    await db.subscriber.update({ where: { id: reader.id }, data: { status: "unsubscribed" } });
    pipeline = await startPipeline(db, database.url, sink.url);
    const { enqueueDigests } = await import("../../src/digest/queue.ts");
    const digest = await db.digest.findFirstOrThrow({ where: { subscriberId: reader.id } });
    await enqueueDigests(pipeline.boss, [digest.id]);
    await eventually(async () => (await db.digest.findUniqueOrThrow({ where: { id: digest.id } })).status === "skipped");
    expect(sink.to("gone@example.com")).toHaveLength(0);
  });

  it("retries a temporary 4xx failure with backoff until it is delivered", async () => {
    const { db } = database;
    // Due at any hour, planned now: a retried digest is given up DIGEST_GIVE_UP_HOURS after it was planned.
    await addSubscriber(db, "flaky@example.com", { topics: ["continual-learning"], sendHour: 0 });
    let refusals = 2;
    sink.failWith = (to) => (to === "flaky@example.com" && refusals-- > 0 ? { code: 421, message: "try again later" } : undefined);
    pipeline = await startPipeline(db, database.url, sink.url);
    await runDigestTick(pipeline.tickDeps);
    await sink.waitFor(1, "flaky@example.com", 20_000);
    const digest = await db.digest.findFirstOrThrow({ where: { subscriber: { email: "flaky@example.com" } } });
    await eventually(async () => (await db.digest.findUniqueOrThrow({ where: { id: digest.id } })).status === "sent");
    expect((await db.digest.findUniqueOrThrow({ where: { id: digest.id } })).attempts).toBe(3);
    expect(sink.to("flaky@example.com")).toHaveLength(1);
  }, 30_000);

  it("marks a 5xx address bounced and suppressed, and never retries it", async () => {
    const { db } = database;
    await addSubscriber(db, "nobody@example.com", { topics: ["continual-learning"] });
    let attempts = 0;
    sink.failWith = (to) => (to === "nobody@example.com" ? (attempts++, { code: 550, message: "no such user" }) : undefined);
    pipeline = await startPipeline(db, database.url, sink.url);
    await runDigestTick({ ...pipeline.tickDeps, now: () => new Date("2026-11-24T12:00:00Z") });
    await eventually(async () => (await db.digest.findFirst({ where: { subscriber: { email: "nobody@example.com" } } }))?.status === "failed");
    await new Promise((r) => setTimeout(r, 2500)); // longer than the retry delay
    expect(attempts).toBe(1);
    const subscriber = await db.subscriber.findUniqueOrThrow({ where: { email: "nobody@example.com" } });
    expect(subscriber.status).toBe("bounced");
    expect(await db.suppression.findUnique({ where: { email: "nobody@example.com" } })).toMatchObject({ reason: "bounced" });
    expect((await db.digest.findFirstOrThrow({ where: { subscriberId: subscriber.id } })).lastError).toMatch(/550/);
  });

  it("retries a 5xx that is not about the recipient (message refused after DATA) and suppresses nobody", async () => {
    const { db } = database;
    await addSubscriber(db, "innocent@example.com", { topics: ["continual-learning"], sendHour: 0 });
    let refusals = 1;
    sink.failDataWith = (to) => (to === "innocent@example.com" && refusals-- > 0 ? { code: 554, message: "message refused" } : undefined);
    pipeline = await startPipeline(db, database.url, sink.url);
    await runDigestTick(pipeline.tickDeps);
    await sink.waitFor(1, "innocent@example.com", 20_000);
    expect((await db.subscriber.findUniqueOrThrow({ where: { email: "innocent@example.com" } })).status).toBe("active");
    expect(await db.suppression.count()).toBe(0);
  }, 30_000);

  it("sends once when two schedulers and two workers run at the same time", async () => {
    const { db } = database;
    for (let i = 0; i < 20; i++) await addSubscriber(db, `twice${i}@example.com`, { topics: ["continual-learning"] });
    pipeline = await startPipeline(db, database.url, sink.url);
    const second = await startPipeline(db, database.url, sink.url);
    try {
      const now = () => new Date("2026-11-24T12:00:00Z");
      const [a, b] = await Promise.all([runDigestTick({ ...pipeline.tickDeps, now }), runDigestTick({ ...second.tickDeps, now })]);
      expect(a.planned + b.planned).toBe(20);
      await sink.waitFor(20);
      await new Promise((r) => setTimeout(r, 1000));
      expect(sink.received).toHaveLength(20);
      expect(new Set(sink.received.map((m) => m.to)).size).toBe(20);
    } finally {
      await second.stop();
    }
  });
});
