// "No paper of the last 30 days matches 'protein folding'": said when a reader subscribes or changes their keywords,
// so that a subscription that would bring nothing does not stay silent.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { MatchPreviewer } from "../topics/preview.ts";
import { RECENT_DAYS } from "../topics/preview.ts";

/** What to warn about: the keywords that match nothing recent, and whether the whole choice does. */
export interface NoMatch {
  keywords: string[];
  nothing: boolean;
}

export async function findNoMatch(preview: MatchPreviewer, topics: string[], keywords: string[]): Promise<NoMatch> {
  const [previews, total] = await Promise.all([preview.keywords(keywords), preview.matches(topics, keywords)]);
  return { keywords: previews.filter((p) => p.recentMatches === 0).map((p) => p.keyword), nothing: total.recentMatches === 0 };
}

export function warningLines(noMatch: NoMatch): string[] {
  const lines = noMatch.keywords.map((k) => `No paper of the last ${RECENT_DAYS} days matches “${k}”.`);
  if (noMatch.nothing) lines.push(`Together, your topics and keywords match no paper of the last ${RECENT_DAYS} days: you will get an email only when one does. Broader keywords or a topic would help.`);
  return lines;
}

export async function noMatchWarnings(preview: MatchPreviewer, topics: string[], keywords: string[]): Promise<string[]> {
  return warningLines(await findNoMatch(preview, topics, keywords));
}

// The subscribe form redirects to /check-inbox (post/redirect/get); the warnings ride along in its query, signed, so
// that nobody can make our page show words of their choosing.
const carried = z.object({ keywords: z.array(z.string().max(60)).max(10), nothing: z.boolean() });

export function noMatchQuery(secret: string, noMatch: NoMatch): string {
  if (!noMatch.nothing && noMatch.keywords.length === 0) return "";
  const data = Buffer.from(JSON.stringify(noMatch)).toString("base64url");
  return `?w=${data}&s=${sign(secret, data)}`;
}

export function readNoMatchQuery(secret: string, query: Record<string, unknown>): NoMatch | undefined {
  const { w, s } = query;
  if (typeof w !== "string" || typeof s !== "string" || w.length > 2000 || !/^[A-Za-z0-9_-]+$/.test(w)) return undefined;
  const expected = Buffer.from(sign(secret, w));
  const given = Buffer.from(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsed = carried.safeParse(JSON.parse(Buffer.from(w, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function sign(secret: string, data: string): string {
  return createHmac("sha256", secret).update(`no-match:${data}`).digest("base64url");
}
