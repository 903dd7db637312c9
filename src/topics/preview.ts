// What a reader's choices would bring, shown on the subscribe form and in the preference center as they choose: how
// each keyword is understood (the concept it names, and the other words searched for it, or plain text search), how
// many recent papers it matches, and how many recent papers the topics and keywords match together.
import type { Db } from "../db/client.ts";
import { computeKeywordMatches, understandKeyword } from "./keywords.ts";

export interface KeywordPreview {
  keyword: string;
  /** "concept": the keyword names thesaurus concepts; "text": searched as the words typed. */
  understoodAs: "concept" | "text";
  concepts: string[];
  /** Other words searched for it: the concept's aliases and narrower concepts, or words learnt from the corpus. */
  alsoSearching: string[];
  /** Papers first seen in the last `days` days that it matches. */
  recentMatches: number;
  days: number;
}

export interface MatchCount {
  /** Distinct papers of the last `days` days that the topics and keywords match, together. */
  recentMatches: number;
  days: number;
  /** recentMatches spread over the weeks (rounded; "about N a week"). */
  perWeek: number;
}

export const RECENT_DAYS = 30;
const SHOWN_ALSO = 8;

export interface MatchPreviewer {
  keywords(keywords: string[], now?: Date): Promise<KeywordPreview[]>;
  /** How many recent papers these topics (slugs) and keywords match together; unknown slugs match nothing. */
  matches(topics: string[], keywords: string[], now?: Date): Promise<MatchCount>;
}

/** Previews are asked for as a reader types: each is remembered per index generation and day (it changes only then). */
export function matchPreviewer(db: Db): MatchPreviewer {
  const cache = new Map<string, { preview: KeywordPreview; recentIds: number[] }>();
  const topicCache = new Map<string, number[]>();
  const key = async (now: Date) => {
    const state = await db.matchingState.findUnique({ where: { id: 1 }, select: { generation: true } });
    return `${state?.generation ?? 0}:${now.toISOString().slice(0, 10)}`;
  };
  const keywordEntries = async (keywords: string[], now: Date) => {
    const prefix = await key(now);
    await fillKeywords(db, cache, prefix, keywords, now);
    return keywords.map((k) => cache.get(`${prefix}:${k}`)!);
  };
  return {
    async keywords(keywords, now = new Date()) {
      return (await keywordEntries(keywords, now)).map((e) => e.preview);
    },
    async matches(topics, keywords, now = new Date()) {
      const prefix = await key(now);
      const ids = new Set<number>();
      for (const entry of await keywordEntries(keywords, now)) for (const id of entry.recentIds) ids.add(id);
      const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000);
      for (const slug of topics) {
        let recent = topicCache.get(`${prefix}:${slug}`);
        if (!recent) {
          recent = (await db.topicPaper.findMany({ where: { topic: { slug }, paper: { firstSeenAt: { gte: since } } }, select: { paperId: true } })).map((t) => t.paperId);
          if (topicCache.size > 200) topicCache.clear();
          topicCache.set(`${prefix}:${slug}`, recent);
        }
        for (const id of recent) ids.add(id);
      }
      return { recentMatches: ids.size, days: RECENT_DAYS, perWeek: Math.round((ids.size * 7) / RECENT_DAYS) };
    },
  };
}

async function fillKeywords(db: Db, cache: Map<string, { preview: KeywordPreview; recentIds: number[] }>, prefix: string, keywords: string[], now: Date) {
  const missing = keywords.filter((k) => !cache.has(`${prefix}:${k}`));
  if (missing.length === 0) return;
  const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000);
  // Computed in a transaction that stores nothing: previews of keywords nobody follows leave no rows behind.
  const computed = await db.$transaction(async (tx) => {
    const { matches, expansion } = await computeKeywordMatches(tx, missing);
    const recent = new Set(
      (await tx.paper.findMany({ where: { id: { in: [...new Set(matches.map((m) => m.paperId))] }, firstSeenAt: { gte: since } }, select: { id: true } })).map((p) => p.id),
    );
    return missing.map((keyword) => {
      const recentIds = [...new Set(matches.filter((m) => m.keyword === keyword && recent.has(m.paperId)).map((m) => m.paperId))];
      return { preview: describe(keyword, expansion.get(keyword) ?? [], recentIds.length), recentIds };
    });
  });
  if (cache.size > 2000) cache.clear();
  for (const entry of computed) cache.set(`${prefix}:${entry.preview.keyword}`, entry);
}

function describe(keyword: string, expansion: string[], recentMatches: number): KeywordPreview {
  const { groups } = understandKeyword(keyword);
  const concepts = groups.flat();
  const typed = keyword.toLowerCase();
  const also = concepts.length
    ? concepts.flatMap((c) => [c.name, ...(c.acronyms ?? []), ...c.aliases])
    : expansion;
  return {
    keyword,
    understoodAs: concepts.length ? "concept" : "text",
    concepts: concepts.map((c) => c.name),
    alsoSearching: [...new Set(also.filter((a) => a.toLowerCase() !== typed))].slice(0, SHOWN_ALSO),
    recentMatches,
    days: RECENT_DAYS,
  };
}
