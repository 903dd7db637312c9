// How a reader's keyword is understood, shown on the subscribe form and in the preference center: the concept it
// names (and the other words searched for it), or plain text search, and how many recent papers it matches.
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

const RECENT_DAYS = 30;
const SHOWN_ALSO = 8;

export type KeywordPreviewer = (keywords: string[], now?: Date) => Promise<KeywordPreview[]>;

/** Previews are asked for as a reader types: each is remembered per index generation and day (it changes only then). */
export function keywordPreviewer(db: Db): KeywordPreviewer {
  const cache = new Map<string, KeywordPreview>();
  return (keywords, now = new Date()) => previewKeywords(db, cache, keywords, now);
}

async function previewKeywords(db: Db, cache: Map<string, KeywordPreview>, keywords: string[], now: Date): Promise<KeywordPreview[]> {
  const state = await db.matchingState.findUnique({ where: { id: 1 }, select: { generation: true } });
  const generation = state?.generation ?? 0;
  const day = now.toISOString().slice(0, 10);
  const missing = keywords.filter((k) => !cache.has(`${generation}:${day}:${k}`));
  if (missing.length) {
    const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000);
    // Computed in a transaction that stores nothing: previews of keywords nobody follows leave no rows behind.
    const computed = await db.$transaction(async (tx) => {
      const { matches, expansion } = await computeKeywordMatches(tx, missing);
      const recent = new Set(
        (await tx.paper.findMany({ where: { id: { in: [...new Set(matches.map((m) => m.paperId))] }, firstSeenAt: { gte: since } }, select: { id: true } })).map((p) => p.id),
      );
      return missing.map((keyword) => describe(keyword, expansion.get(keyword) ?? [], new Set(matches.filter((m) => m.keyword === keyword && recent.has(m.paperId)).map((m) => m.paperId)).size));
    });
    if (cache.size > 2000) cache.clear();
    for (const preview of computed) cache.set(`${generation}:${day}:${preview.keyword}`, preview);
  }
  return keywords.map((k) => cache.get(`${generation}:${day}:${k}`)!);
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
