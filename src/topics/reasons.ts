// Why a paper is in a reader's digest, as evidence that can be quoted: the phrase the paper used and what it matched.
// Stored per digest item as short records (fields split by U+001F, lists by U+001E: control characters no keyword or
// title can hold), written by the planner's SQL and turned into words here.
export const FIELD = "\u001f";
export const ITEM = "\u001e";

/** SQL: chr(31) and chr(30) are FIELD and ITEM. */
export const FIELD_SQL = "chr(31)";
export const ITEM_SQL = "chr(30)";

export interface Reason {
  kind: "topic" | "keyword" | "liked";
  /** Topic slug or the keyword as typed; the liked paper's title for "liked". */
  subject: string;
  /** How the match was made: a concept the paper names, the keyword's own words, or corpus-learnt related terms. */
  via?: "concept" | "text" | "related";
  phrases: string[];
}

export function parseReason(raw: string): Reason | undefined {
  const [kind, subject, via, phrases] = raw.split(FIELD);
  if (kind === "liked" && subject) return { kind, subject, phrases: [] };
  if ((kind === "topic" || kind === "keyword") && subject && (via === "concept" || via === "text" || via === "related")) {
    return { kind, subject, via, phrases: [...new Set((phrases ?? "").split(ITEM).filter(Boolean))] };
  }
  return undefined;
}

const quote = (s: string) => `“${s}”`;

/** One line per reason: `matched “process supervision” (Reward Models)`, `Because you liked: …`. */
export function describeReasons(raws: string[], topicName: (slug: string) => string): string[] {
  const lines: string[] = [];
  for (const reason of raws.map(parseReason)) {
    if (!reason) continue;
    const owner = reason.kind === "topic" ? topicName(reason.subject) : `your keyword ${quote(reason.subject)}`;
    if (reason.kind === "liked") lines.push(`Because you liked: ${reason.subject}`);
    else if (reason.via === "related") lines.push(`related terms ${reason.phrases.map(quote).join(", ")} (${owner})`);
    else {
      const phrases = reason.phrases.filter((p) => p.toLowerCase() !== reason.subject.toLowerCase());
      lines.push(phrases.length ? `matched ${phrases.map(quote).join(", ")} (${owner})` : `matched ${owner}`);
    }
  }
  return [...new Set(lines)];
}
