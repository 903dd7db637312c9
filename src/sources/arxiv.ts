// arXiv: the API's Atom feed of the newest submissions in the configured categories, parsed with fast-xml-parser.
// arXiv's guidance for API clients: no more than one request every 3 seconds (the fetcher spaces them), and no
// point in asking more than once per announcement cycle (new papers appear once a day; skipReason below).
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { normalizeArxivId } from "../corpus/arxiv.ts";
import type { IncomingPaper } from "../corpus/merge.ts";
import { cleanTitle, extractLinks } from "../corpus/text.ts";
import { lastAnnouncement } from "./announcement.ts";
import { type Fetcher, SourceFetchError } from "./fetcher.ts";
import { type Source, type SourceBatch, type SourceContext, SourceShapeError } from "./types.ts";

export interface ArxivSettings {
  baseUrl: string;
  categories: string[];
  maxResults: number;
  pageSize: number;
}

// Text of an element that may carry attributes (then the parser gives { "#text", ...attributes }).
const text = z.preprocess((v) => (v !== null && typeof v === "object" && "#text" in v ? (v as { "#text": unknown })["#text"] : v), z.string());
const timestamp = text.refine((v) => !Number.isNaN(Date.parse(v)), "a date and time");

export const atomEntry = z.object({
  id: text.pipe(z.string().min(1)),
  title: text.pipe(z.string().trim().min(1)),
  summary: text.pipe(z.string().trim().min(1)),
  published: timestamp,
  author: z.array(z.object({ name: text })).default([]),
  comment: text.optional(),
});
type AtomEntry = z.infer<typeof atomEntry>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  // Ids such as 2501.01230 must stay strings, not become numbers.
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => ["feed.entry", "feed.entry.author", "feed.entry.link", "feed.entry.category"].includes(String(jpath)),
});

export function arxivSource(settings: ArxivSettings, fetcher: Fetcher): Source {
  return {
    name: "arxiv",
    describe: (ctx) => `${settings.categories.join(", ")}${ctx.date ? ` submitted ${ctx.date}` : ", newest"}`,
    skipReason(ctx, lastSuccess) {
      if (ctx.date) return undefined; // a day asked for by hand
      const announced = lastAnnouncement(ctx.now);
      if (lastSuccess && lastSuccess.getTime() >= announced.getTime()) {
        return `already fetched at ${lastSuccess.toISOString()}, after arXiv's latest announcement (${announced.toISOString()}); arXiv asks for at most one fetch per announcement cycle`;
      }
      return undefined;
    },
    async *fetch(ctx): AsyncIterable<SourceBatch> {
      let total = Math.ceil(settings.maxResults / settings.pageSize);
      for (let start = 0, page = 1; start < settings.maxResults; start += settings.pageSize, page++) {
        const size = Math.min(settings.pageSize, settings.maxResults - start);
        const url = `${settings.baseUrl}/api/query?${new URLSearchParams({
          search_query: searchQuery(settings.categories, ctx.date),
          sortBy: "submittedDate",
          sortOrder: "descending",
          start: String(start),
          max_results: String(size),
        })}`;
        const response = await fetcher.get(url, { accept: "application/atom+xml" });
        if (response.status === 304) return;
        const feed = parseAtomFeed(response.body, { url, firstRank: start + 1 });
        if (feed.totalResults !== undefined) total = Math.min(total, Math.max(1, Math.ceil(Math.min(feed.totalResults, settings.maxResults) / settings.pageSize)));
        yield { label: `page ${page}`, seenIn: "arxiv", papers: feed.papers, warnings: feed.warnings, total, stored: response.remember };
        if (feed.entries < size || (feed.totalResults !== undefined && start + size >= feed.totalResults)) return;
      }
    },
  };
}

/** cat:cs.LG OR cat:cs.CL, and for one day its submissions (arXiv's submittedDate range, in GMT). */
export function searchQuery(categories: string[], date?: string): string {
  const cats = categories.map((c) => `cat:${c}`).join(" OR ");
  const inCategories = categories.length > 1 ? `(${cats})` : cats;
  if (!date) return inCategories;
  const day = date.replace(/-/g, "");
  return `${inCategories} AND submittedDate:[${day}0000 TO ${day}2359]`;
}

/** Pure: Atom XML -> papers + warnings. Invalid XML or an API error entry is an error; a bad entry is a warning. */
export function parseAtomFeed(xml: string, where: { url: string; firstRank: number }): { papers: IncomingPaper[]; warnings: string[]; entries: number; totalResults?: number } {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new SourceFetchError(`${where.url}: not valid XML (line ${valid.err.line}: ${valid.err.msg}); nothing stored from it`, where.url);
  const doc = parser.parse(xml) as { feed?: { entry?: unknown[]; totalResults?: unknown } };
  if (!doc.feed || typeof doc.feed !== "object") throw new SourceShapeError(`arXiv API: the answer is not an Atom feed (no <feed> element); the API may have changed, run stopped`);
  const raw = doc.feed.entry ?? [];
  const totalText = text.safeParse(doc.feed.totalResults);
  const totalResults = totalText.success && /^\d+$/.test(totalText.data) ? Number(totalText.data) : undefined;

  const papers: IncomingPaper[] = [];
  const warnings: string[] = [];
  const problems: { field: string; message: string }[] = [];
  raw.forEach((item, index) => {
    const parsed = atomEntry.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push({ field: issue.path.join(".") || "(entry)", message: issue.message });
      warnings.push(`${where.url} entry ${index}: field "${problems.at(-1)!.field}": ${issue.message}; entry skipped`);
      return;
    }
    const entry = parsed.data;
    // The API reports a bad query as a feed with one entry whose id points at its error list.
    if (/\/api\/errors/.test(entry.id)) throw new SourceFetchError(`${where.url}: arXiv API error: ${entry.summary}`, where.url);
    const arxivId = normalizeArxivId(entry.id);
    if (!arxivId) {
      warnings.push(`${where.url} entry ${index}: id "${entry.id}" is not an arXiv id; entry skipped`);
      return;
    }
    papers.push(toIncoming(entry, arxivId, where.firstRank + index));
  });
  if (raw.length > 0 && papers.length === 0 && problems.length === raw.length) {
    const field = problems[0]!.field;
    throw new SourceShapeError(`arXiv API: field "${field}" is missing or invalid in every entry (${problems[0]!.message}); the API may have changed, run stopped`);
  }
  return { papers, warnings, entries: raw.length, totalResults };
}

function toIncoming(entry: AtomEntry, arxivId: string, rank: number): IncomingPaper {
  const abstract = entry.summary.replace(/\s+/g, " ").trim();
  // Authors often put their code in the comment field ("Code: https://github.com/...").
  const links = extractLinks(`${abstract} ${entry.comment ?? ""}`);
  return {
    arxivId,
    title: entry.title.replace(/\s+/g, " ").trim(),
    displayTitle: cleanTitle(entry.title),
    abstract,
    authors: entry.author.map((a) => a.name.replace(/\s+/g, " ").trim()).filter(Boolean),
    publishedAt: new Date(entry.published),
    links,
    codeUrl: links.find((l) => /^https:\/\/(github\.com|gitlab\.com|bitbucket\.org)\/[^/]+\/[^/]+/i.test(l)),
    rank,
  };
}
