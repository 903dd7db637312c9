// Topics in the database: kept in step with the catalog at start, read by the pages and the API.
import type { Db } from "../db/client.ts";
import { TOPICS, type TopicDefinition } from "./catalog.ts";

export interface TopicSummary {
  slug: string;
  name: string;
  description: string;
}

/**
 * Upserts the catalog into the topics table, turning each definition into one tsquery (stored as text) so that
 * matching is a plain `search_vector @@ query::tsquery` in SQL. Idempotent; safe with several instances.
 */
export async function syncTopics(db: Db, catalog: TopicDefinition[] = TOPICS) {
  for (const [position, topic] of catalog.entries()) {
    const query = await compileTopicQuery(db, topic);
    await db.topic.upsert({
      where: { slug: topic.slug },
      create: { slug: topic.slug, name: topic.name, description: topic.description, query, position },
      update: { name: topic.name, description: topic.description, query, position },
    });
  }
}

/** (any1 | any2 | ...) & !(none1 | none2 | ...), each part parsed by PostgreSQL's websearch_to_tsquery. */
export async function compileTopicQuery(db: Db, topic: Pick<TopicDefinition, "any" | "none">): Promise<string> {
  const any = await toTsQueries(db, topic.any);
  if (any.length === 0) throw new Error(`topic query has no searchable words: ${topic.any.join(", ")}`);
  const none = await toTsQueries(db, topic.none ?? []);
  const anyPart = any.map((q) => `(${q})`).join(" | ");
  return none.length ? `(${anyPart}) & !(${none.map((q) => `(${q})`).join(" | ")})` : anyPart;
}

/** Each web-search string as tsquery text; strings with only stop words give nothing and are dropped. */
export async function toTsQueries(db: Db, searches: string[]): Promise<string[]> {
  if (searches.length === 0) return [];
  // Raw SQL: websearch_to_tsquery has no Prisma equivalent.
  const rows = await db.$queryRaw<{ q: string }[]>`
    SELECT websearch_to_tsquery('english', s)::text AS q FROM unnest(${searches}::text[]) WITH ORDINALITY AS t(s, i) ORDER BY i`;
  return rows.map((r) => r.q).filter((q) => q !== "");
}

export function listTopics(db: Db): Promise<TopicSummary[]> {
  return db.topic.findMany({ orderBy: { position: "asc" }, select: { slug: true, name: true, description: true } });
}
