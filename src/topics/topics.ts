// Topics in the database: kept in step with the catalog at start, read by the pages and the API. Which papers match
// them is the paper index's work (paper-index.ts), redone whenever the catalog changes.
import type { Db } from "../db/client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { TOPICS, type TopicDefinition } from "./catalog.ts";

export interface TopicSummary {
  slug: string;
  name: string;
  description: string;
}

/** Upserts the catalog into the topics table. Idempotent; safe with several instances. */
export async function syncTopics(db: Db, catalog: TopicDefinition[] = TOPICS) {
  for (const [position, topic] of catalog.entries()) {
    await db.topic.upsert({
      where: { slug: topic.slug },
      create: { slug: topic.slug, name: topic.name, description: topic.description, position },
      update: { name: topic.name, description: topic.description, position },
    });
  }
}

export function listTopics(db: Db): Promise<TopicSummary[]> {
  return db.topic.findMany({ orderBy: { position: "asc" }, select: { slug: true, name: true, description: true } });
}

/** A condition on `p.id` (a papers row aliased p): the paper matches the topic. For lists filtered by topic. */
export function paperInTopicSql(slug: string): Prisma.Sql {
  return Prisma.sql`p.id IN (SELECT tp.paper_id FROM topic_papers tp JOIN topics t ON t.id = tp.topic_id WHERE t.slug = ${slug})`;
}

/** A topic's newest papers (for its public feed), with the fields a feed entry shows. */
export function listTopicPapers(db: Db, slug: string, limit: number) {
  return db.topicPaper.findMany({
    where: { topic: { slug } },
    orderBy: [{ paper: { firstSeenAt: "desc" } }, { paper: { rank: "asc" } }, { paperId: "asc" }],
    take: limit,
    select: { paper: { select: { id: true, displayTitle: true, abstract: true, arxivId: true, codeUrl: true, firstSeenAt: true, authors: true } } },
  });
}
