// A reader whose topics and keywords match nothing is not skipped silently forever: after 14 days without a digest
// they get one short notice with a link to their preferences, once per dry spell, even with several processes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runDigestTick } from "../../jobs/daily-digest.ts";
import { loadConfig } from "../../src/config.ts";
import { sendNoMatchNotices } from "../../src/digest/dry-spell.ts";
import { planDueDigests } from "../../src/digest/plan.ts";
import { sendDeps } from "../../src/digest/runtime.ts";
import type { SendDeps } from "../../src/digest/send.ts";
import { createLogger } from "../../src/log.ts";
import { loadEmailTemplates } from "../../src/mail/templates.ts";
import { createMailer } from "../../src/mail/transport.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { abstractAbout, addSubscriber, BASE_URL, ingestPapers, startPipeline } from "../support/digest.ts";
import { TEST_SECRET } from "../support/service.ts";
import { linkIn, startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

let database: TestDatabase;
let sink: SmtpSink;
let deps: SendDeps;
let closeMailer: () => void;
const DAY = 86_400_000;
const NOW = new Date("2026-11-24T12:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
  await syncTopics(database.db);
  sink = await startSmtpSink();
  await ingestPapers(
    database.db,
    Array.from({ length: 4 }, (_, i) => ({ title: `Replay Buffers Against Forgetting ${i + 1}`, abstract: abstractAbout("continual learning and catastrophic forgetting", i) })),
    new Date("2026-11-20T00:00:00Z"),
  );
  const config = loadConfig({ NODE_ENV: "test", APP_SECRET: TEST_SECRET, PUBLIC_BASE_URL: BASE_URL, SMTP_URL: sink.url, LOG_LEVEL: "silent" });
  const mailer = createMailer(config, sink.url);
  closeMailer = () => mailer.close();
  deps = sendDeps(config, { db: database.db, mailer, emails: await loadEmailTemplates(), log: createLogger("silent"), appSecret: TEST_SECRET });
});
afterAll(async () => {
  closeMailer?.();
  await sink?.stop();
  await database?.drop();
});
beforeEach(async () => {
  sink.clear();
  sink.failWith = undefined;
  await database.db.digest.deleteMany();
  await database.db.subscriber.deleteMany();
});

/** A reader who confirmed, and last changed anything, `daysAgo` days before NOW. */
async function reader(email: string, topics: string[], keywords: string[] = [], daysAgo = 30) {
  const at = new Date(NOW.getTime() - daysAgo * DAY);
  const created = await addSubscriber(database.db, email, { topics, keywords, confirmedAt: at });
  await database.db.$executeRaw`UPDATE subscribers SET updated_at = ${at} WHERE id = ${created.id}::uuid`;
  return created;
}

describe("the no-match notice", () => {
  it("goes once to a reader nothing matched for 14 days, naming what they follow, with a link to the preferences", async () => {
    await reader("nothing@example.com", ["surveys"], ["protein folding"]);
    await reader("matched@example.com", ["continual-learning"]);
    await reader("new@example.com", ["surveys"], [], 3); // confirmed three days ago: too early to say
    await planDueDigests(database.db, { now: NOW });
    expect(await database.db.digest.count({ where: { status: "planned" } })).toBe(1); // matched@ has papers

    // Two processes at once: one notice.
    const counts = await Promise.all([sendNoMatchNotices(deps, NOW), sendNoMatchNotices(deps, NOW)]);
    expect(counts.reduce((a, b) => a + b)).toBe(1);
    const [mail] = await sink.waitFor(1, "nothing@example.com");
    expect(mail!.subject).toBe("Nothing new on your topics for 14 days");
    expect(mail!.text).toContain("No new trending paper has matched Surveys & Overviews and “protein folding” for 14 days");
    expect(linkIn(mail!, "/manage/")).toMatch(/^https:\/\/digest\.example\.test\/manage\//);
    expect(mail!.raw).toMatch(/^List-Unsubscribe:\s+<https:\/\/digest\.example\.test\/unsubscribe\/[^>]+>/m);
    expect(sink.to("matched@example.com")).toEqual([]);
    expect(sink.to("new@example.com")).toEqual([]);

    // The next ticks, the same dry spell: nothing more.
    expect(await sendNoMatchNotices(deps, new Date(NOW.getTime() + 3 * DAY))).toBe(0);
    await sendNoMatchNotices(deps, new Date(NOW.getTime() + 30 * DAY)); // (others' own dry spells may have begun)
    expect(sink.to("nothing@example.com")).toHaveLength(1);
  });

  it("comes again only after a digest went out and another 14 days passed without one", async () => {
    const r = await reader("again@example.com", ["surveys"]);
    expect(await sendNoMatchNotices(deps, NOW)).toBe(1);
    // A paper matched at last: a digest went out two days later.
    await database.db.digest.create({ data: { subscriberId: r.id, localDate: new Date("2026-11-26"), status: "sent", plannedAt: new Date(NOW.getTime() + 2 * DAY), sentAt: new Date(NOW.getTime() + 2 * DAY) } });
    expect(await sendNoMatchNotices(deps, new Date(NOW.getTime() + 10 * DAY))).toBe(0);
    expect(await sendNoMatchNotices(deps, new Date(NOW.getTime() + 17 * DAY))).toBe(1);
    expect(sink.to("again@example.com")).toHaveLength(2);
  });

  it("waits for a reader who changed their preferences, or came back from a pause, within the 14 days", async () => {
    await reader("changed@example.com", ["surveys"], [], 5);
    const paused = await reader("paused@example.com", ["surveys"]);
    await database.db.subscriber.update({ where: { id: paused.id }, data: { status: "paused" } });
    expect(await sendNoMatchNotices(deps, NOW)).toBe(0); // changed 5 days ago; paused: no notice
    await database.db.subscriber.update({ where: { id: paused.id }, data: { status: "active" } }); // resumed now
    const resumedAt = (await database.db.subscriber.findUniqueOrThrow({ where: { id: paused.id } })).updatedAt;
    await sendNoMatchNotices(deps, new Date(resumedAt.getTime() + 13 * DAY));
    expect(sink.to("paused@example.com")).toEqual([]);
    expect(await sendNoMatchNotices(deps, new Date(resumedAt.getTime() + 15 * DAY))).toBe(1);
    expect(sink.to("paused@example.com")).toHaveLength(1);
  });

  it("is tried again at the next tick when the mail server refused it", async () => {
    await reader("retry@example.com", ["surveys"]);
    sink.failWith = () => ({ code: 451, message: "try later" });
    expect(await sendNoMatchNotices(deps, NOW)).toBe(0);
    sink.failWith = undefined;
    expect(await sendNoMatchNotices(deps, new Date(NOW.getTime() + 3600_000))).toBe(1);
    expect(sink.to("retry@example.com")).toHaveLength(1);
  });

  it("is sent by the scheduler tick, after planning", async () => {
    await reader("tick@example.com", ["surveys"]);
    await reader("tick-matched@example.com", ["continual-learning"]);
    const pipeline = await startPipeline(database.db, database.url, sink.url);
    try {
      const result = await runDigestTick({ ...pipeline.tickDeps, notices: pipeline.deps, now: () => NOW });
      expect(result).toMatchObject({ planned: 1, notices: 1 });
      expect((await sink.waitFor(1, "tick@example.com"))[0]!.subject).toBe("Nothing new on your topics for 14 days");
      expect((await sink.waitFor(1, "tick-matched@example.com"))[0]!.subject).not.toContain("Nothing new");
    } finally {
      await pipeline.stop();
    }
  });
});
