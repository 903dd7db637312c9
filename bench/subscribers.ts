// N confirmed subscribers with a realistic spread, created set-based inside PostgreSQL (seconds for 100,000):
// 1–4 topics each, own keywords for a third, ten time zones, delivery hours round the clock, 3–10 papers per email
// (mostly the default 5). Seeded, so every run gets the same population.
import type { Db } from "../src/db/client.ts";

const TIME_ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "Africa/Lagos"];
const KEYWORDS = ["speculative decoding", "protein folding", "graph neural network", "retrieval augmented generation", "mixture of experts", "tokenization", "federated learning", "code generation", "reward hacking", "chain of thought"];

export async function createSubscribers(db: Db, count: number) {
  await db.$executeRaw`SELECT setseed(0.42)`;
  await db.$executeRaw`
    INSERT INTO subscribers (id, email, status, timezone, send_hour, max_papers, keywords, confirmed_at, created_at, updated_at)
    SELECT gen_random_uuid(), 'reader' || g || '@bench.example.com', 'active',
           (${TIME_ZONES}::text[])[1 + g % ${TIME_ZONES.length}],
           g % 24,
           CASE WHEN g % 10 < 6 THEN 5 ELSE 3 + (g * 7) % 8 END,
           CASE WHEN g % 3 = 0 THEN ARRAY[(${KEYWORDS}::text[])[1 + (g / 3) % ${KEYWORDS.length}]] ELSE '{}'::text[] END,
           now(), now(), now()
    FROM generate_series(1, ${count}) AS g`;
  // 1–4 distinct random topics per subscriber; the lateral reference to s makes each row draw its own.
  await db.$executeRaw`
    INSERT INTO subscriber_topics (subscriber_id, topic_id)
    SELECT s.id, t.id
    FROM subscribers s
    CROSS JOIN LATERAL (
      SELECT id FROM topics WHERE s.id IS NOT NULL ORDER BY random() LIMIT 1 + floor(random() * 4)::int
    ) t
    ON CONFLICT DO NOTHING`;
}

/**
 * Feedback from a share of the readers: 3–8 "more / less like this" votes each on papers of the corpus, as if they
 * had voted on their first emails. Their profiles are built by the planner's first refresh.
 */
export async function addFeedback(db: Db, share: number) {
  if (share <= 0) return;
  await db.$executeRaw`SELECT setseed(0.17)`;
  await db.$executeRaw`
    INSERT INTO feedback (subscriber_id, paper_id, value, created_at, updated_at)
    SELECT s.id, p.id, CASE WHEN random() < 0.6 THEN 1 ELSE -1 END, now(), now()
    FROM (SELECT id FROM subscribers WHERE random() < ${share}) s
    CROSS JOIN LATERAL (SELECT id FROM papers WHERE s.id IS NOT NULL ORDER BY random() LIMIT 3 + floor(random() * 6)::int) p
    ON CONFLICT DO NOTHING`;
}
