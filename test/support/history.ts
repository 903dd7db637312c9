// Thirty days of a service's life, written straight into a test database, and the figures a dashboard must show for
// it (worked out here by hand from the story, not by the dashboard's queries).
import { randomUUID } from "node:crypto";
import type { Db } from "../../src/db/client.ts";

const DAY = 86400_000;

export interface SeededHistory {
  /** UTC day strings, oldest first: days[0] is 29 days before `now`'s day. */
  days: string[];
  subscribersOn(dayIndex: number): Record<"active" | "paused" | "pending" | "unsubscribed" | "bounced", number>;
  emails: { sent: number[]; failed: number[]; bounced: number[] };
  confirmations: { closed: number[]; expired: number[]; open: number[]; openNow: number; closedInRange: number };
  papers: number[];
  topics: { label: string; value: number }[];
  keywords: { label: string; value: number }[];
  lastRun: { total: number; sent: number; skipped: number; failed: number; duration: string; result: string };
  queue: { planned: number; sending: number; oldestMinutes: number };
  suppressed: { email: string; reason: "bounced" | "manual" }[];
}

export async function seedHistory(db: Db, now: Date): Promise<SeededHistory> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dayStart = (k: number) => new Date(today - (29 - k) * DAY);
  const at = (k: number, hour: number, minute = 0) => new Date(dayStart(k).getTime() + hour * 3600_000 + minute * 60_000);
  const days = Array.from({ length: 30 }, (_, k) => dayStart(k).toISOString().slice(0, 10));
  const topicId = async (slug: string) => (await db.topic.findUniqueOrThrow({ where: { slug } })).id;
  const [agents, math, diffusion] = [await topicId("agents"), await topicId("math"), await topicId("diffusion")];

  // Readers. Cohort A: 20 created on day 0, confirmed on day 1; of them 5 unsubscribe on day 10, 2 bounce on day 20,
  // 3 pause on day 25. Cohort B: 10 created on day 15, confirmed on day 16. Cohort C: 4 created on day 28, pending.
  const readers: { id: string; email: string }[] = [];
  const addReader = async (email: string, data: { created: Date; status: string; confirmed?: Date; unsubscribed?: Date; updated?: Date; topics: number[]; keywords: string[] }) => {
    const id = randomUUID();
    await db.$executeRaw`
      INSERT INTO subscribers (id, email, status, keywords, created_at, updated_at, confirmed_at, unsubscribed_at)
      VALUES (${id}::uuid, ${email}, ${data.status}::subscriber_status, ${data.keywords}::text[], ${data.created}, ${data.updated ?? data.confirmed ?? data.created}, ${data.confirmed ?? null}, ${data.unsubscribed ?? null})`;
    for (const t of data.topics) await db.subscriberTopic.create({ data: { subscriberId: id, topicId: t } });
    readers.push({ id, email });
    return id;
  };
  const suppressed: SeededHistory["suppressed"] = [];
  for (let i = 0; i < 20; i++) {
    const email = `a${i}@example.com`;
    const topics = i < 12 ? [agents] : [math];
    const keywords = i < 6 ? ["LoRA"] : i < 9 ? ["protein folding"] : i === 9 ? ["<script>alert(1)</script>"] : [];
    const base = { created: at(0, 9), confirmed: at(1, 9), topics, keywords };
    if (i < 5) await addReader(email, { ...base, status: "unsubscribed", unsubscribed: at(10, 12) });
    else if (i < 7) {
      await addReader(email, { ...base, status: "bounced", updated: at(20, 8) });
      await db.$executeRaw`INSERT INTO suppressions (email, reason, detail, created_at) VALUES (${email}, 'bounced', '550 5.1.1 user unknown', ${at(20, 8)})`;
      suppressed.push({ email, reason: "bounced" });
    } else if (i < 10) await addReader(email, { ...base, status: "paused", updated: at(25, 10) });
    else await addReader(email, { ...base, status: "active" });
  }
  for (let i = 0; i < 10; i++) await addReader(`b${i}@example.com`, { created: at(15, 9), confirmed: at(16, 9), status: "active", topics: [diffusion, agents], keywords: i < 2 ? ["lora"] : [] });
  for (let i = 0; i < 4; i++) await addReader(`c${i}@example.com`, { created: at(28, 10), status: "pending", topics: [math], keywords: [] });
  await db.$executeRaw`INSERT INTO suppressions (email, reason, detail, created_at) VALUES ('spam-trap@example.net', 'manual', 'reported as a spam trap', ${at(5, 14)})`;
  suppressed.push({ email: "spam-trap@example.net", reason: "manual" });

  const subscribersOn = (k: number) => {
    const a = k >= 1 ? 20 : 0;
    const b = k >= 16 ? 10 : 0;
    const unsub = k >= 10 ? 5 : 0;
    const bounced = k >= 20 ? 2 : 0;
    const paused = k >= 25 ? 3 : 0;
    const pending = (k === 0 ? 20 : 0) + (k === 15 ? 10 : 0) + (k >= 28 ? 4 : 0);
    return { active: a - unsub - bounced - paused + b, paused, pending, unsubscribed: unsub, bounced };
  };

  // Confirmation links: every cohort A and B reader's was used the next day; cohort C's are open; three older links
  // of the bouncing readers expired unused.
  for (const r of readers) {
    const cohort = r.email[0];
    const created = cohort === "a" ? at(0, 9) : cohort === "b" ? at(15, 9) : at(28, 10);
    const used = cohort === "a" ? at(1, 9) : cohort === "b" ? at(16, 9) : null;
    await db.confirmationToken.create({ data: { subscriberId: r.id, tokenHash: randomUUID(), createdAt: created, expiresAt: new Date(created.getTime() + 2 * DAY), usedAt: used } });
  }
  for (const r of readers.filter((r) => ["a5@example.com", "a6@example.com", "a0@example.com"].includes(r.email))) {
    await db.confirmationToken.create({ data: { subscriberId: r.id, tokenHash: randomUUID(), createdAt: at(20, 11), expiresAt: at(22, 11) } });
  }
  // Manage-link emails are not confirmations.
  await db.confirmationToken.create({ data: { subscriberId: readers[10]!.id, kind: "manage_link", tokenHash: randomUUID(), createdAt: at(27, 9), expiresAt: at(27, 9) } });
  const zeros = () => days.map(() => 0);
  const confirmations = { closed: zeros(), expired: zeros(), open: zeros(), openNow: 4, closedInRange: 30 };
  confirmations.closed[0] = 20;
  confirmations.closed[15] = 10;
  confirmations.expired[20] = 3;
  confirmations.open[28] = 4;

  // Digest emails on days 0–28: a changing number sent, one given up every tenth day (3, 13, 23), one bounce (7, 17,
  // 27). Day 29 is the last run: 4 sent, 1 skipped, 1 given up, planned 2 hours before `now`.
  const emails = { sent: zeros(), failed: zeros(), bounced: zeros() };
  const addDigest = async (reader: number, k: number, status: string, extra: { planned: Date; sent?: Date; updated: Date; lastError?: string }) => {
    await db.$executeRaw`
      INSERT INTO digests (id, subscriber_id, local_date, status, planned_at, sent_at, updated_at, last_error, attempts)
      VALUES (${randomUUID()}::uuid, ${readers[reader]!.id}::uuid, ${days[k]!}::date, ${status}::digest_status, ${extra.planned}, ${extra.sent ?? null}, ${extra.updated}, ${extra.lastError ?? null}, 1)`;
  };
  for (let k = 0; k < 29; k++) {
    const sent = (k * 7) % 6;
    const failed = k % 10 === 3 ? 1 : 0;
    const bounced = k % 10 === 7 ? 1 : 0;
    let reader = 0;
    for (let i = 0; i < sent; i++) await addDigest(reader++, k, "sent", { planned: at(k, 7), sent: at(k, 7, 1 + i), updated: at(k, 7, 1 + i) });
    if (failed) await addDigest(reader++, k, "failed", { planned: at(k, 7), updated: at(k, 9), lastError: "gave up after 8 attempts: 421 4.3.2 try again later" });
    if (bounced) await addDigest(reader++, k, "failed", { planned: at(k, 7), updated: at(k, 7, 5), lastError: "550 5.1.1 <[address]>: user unknown" });
    emails.sent[k] = sent;
    emails.failed[k] = failed;
    emails.bounced[k] = bounced;
  }
  const runAt = new Date(now.getTime() - 2 * 3600_000);
  const after = (seconds: number) => new Date(runAt.getTime() + seconds * 1000);
  for (let i = 0; i < 4; i++) await addDigest(20 + i, 29, "sent", { planned: runAt, sent: after(20 + i * 25), updated: after(20 + i * 25) });
  await addDigest(24, 29, "skipped", { planned: runAt, updated: runAt, lastError: "no new matching papers" });
  await addDigest(25, 29, "failed", { planned: runAt, updated: after(60), lastError: "gave up after 2 attempts: 451 4.7.1 greylisted" });
  emails.sent[29] = 4;
  emails.failed[29] = 1;
  // Three digests still waiting from an earlier run (their sends are being retried).
  for (let i = 0; i < 3; i++) await addDigest(26 + i, 28, "planned", { planned: new Date(now.getTime() - 3 * 3600_000), updated: new Date(now.getTime() - 3 * 3600_000) });

  // Papers first seen per day: 0, 1, 2, 3, 0, 1, … (day k: k % 4).
  const papers = days.map((_, k) => k % 4);
  let n = 0;
  for (let k = 0; k < 30; k++) {
    for (let i = 0; i < papers[k]!; i++) {
      n++;
      await db.paper.create({
        data: { key: `seed-${n}`, title: `Seeded paper ${n}`, displayTitle: `Seeded Paper ${n}`, abstract: `An abstract for seeded paper ${n}, long enough to be one.`, links: [], rank: n, sourceFile: "seed.txt", titleKey: `seed-${n}`, firstSeenAt: at(k, 6, i) },
      });
    }
  }

  return {
    days,
    subscribersOn,
    emails,
    confirmations,
    papers,
    // Active and paused readers: cohort A's 13 (a7–a19; a0–a6 left), cohort B's 10.
    topics: [
      { label: "LLM Agents & Tool Use", value: 5 + 10 },
      { label: "Diffusion & Generative Vision", value: 10 },
      { label: "Mathematical Reasoning", value: 8 },
    ],
    keywords: [
      { label: "lora", value: 2 },
      { label: "protein folding", value: 2 },
      { label: "<script>alert(1)</script>", value: 1 },
    ],
    lastRun: { total: 6, sent: 4, skipped: 1, failed: 1, duration: "1 min 35 s", result: "finished with failures" },
    queue: { planned: 3, sending: 0, oldestMinutes: 180 },
    suppressed,
  };
}
