// Hugging Face Daily Papers: GET {base}/api/daily_papers?date=YYYY-MM-DD, one list per day, each item a paper with
// its upvotes and comments. Validated with zod (unknown fields ignored). A field missing from every item means the
// API changed: one error naming the field stops this source's run; a single bad item is a warning.
import { z } from "zod";
import { normalizeArxivId } from "../corpus/arxiv.ts";
import type { IncomingPaper } from "../corpus/merge.ts";
import { cleanTitle, extractLinks } from "../corpus/text.ts";
import { type Fetcher, SourceFetchError } from "./fetcher.ts";
import { type Source, type SourceBatch, type SourceContext, SourceShapeError } from "./types.ts";

const timestamp = z.string().refine((v) => !Number.isNaN(Date.parse(v)), "a date and time");
const optionalUrl = z
  .string()
  .nullish()
  .transform((v) => (v && /^https?:\/\/\S+$/i.test(v.trim()) ? v.trim() : undefined));

/** One item of the daily list. zod objects drop fields not named here, so additions upstream change nothing. */
export const dailyPaperItem = z.object({
  paper: z.object({
    id: z.string().min(1),
    title: z.string().trim().min(1),
    summary: z.string().trim().min(1),
    authors: z.array(z.object({ name: z.string() })),
    publishedAt: timestamp,
    upvotes: z.number().int().min(0),
    /** When it was put on the daily list. */
    submittedOnDailyAt: timestamp.optional(),
    githubRepo: optionalUrl,
    projectPage: optionalUrl,
  }),
  numComments: z.number().int().min(0),
  /** When it appeared on the daily list (older responses carry only this one). */
  publishedAt: timestamp.optional(),
});
type DailyPaperItem = z.infer<typeof dailyPaperItem>;

export interface HuggingFaceSettings {
  baseUrl: string;
  /** Days fetched per run, counting back from today (2: today and yesterday). */
  days: number;
}

export function huggingFaceSource(settings: HuggingFaceSettings, fetcher: Fetcher): Source {
  const daysOf = (ctx: SourceContext) => (ctx.date ? [ctx.date] : lastDays(ctx.now, settings.days));
  return {
    name: "huggingface",
    describe: (ctx) => `daily papers ${daysOf(ctx).join(", ")}`,
    async *fetch(ctx): AsyncIterable<SourceBatch> {
      const days = daysOf(ctx);
      for (const day of days) {
        const url = `${settings.baseUrl}/api/daily_papers?date=${day}`;
        const response = await fetcher.get(url, { accept: "application/json", conditional: true });
        const batch = { label: day, seenIn: `huggingface ${day}`, total: days.length };
        if (response.status === 304) {
          yield { ...batch, papers: [], warnings: [], unchanged: true };
          continue;
        }
        const { papers, warnings } = parseDailyPapers(response.body, { url, day, baseUrl: settings.baseUrl, now: ctx.now });
        yield { ...batch, papers, warnings, stored: response.remember };
      }
    },
  };
}

/** Pure: a daily list's JSON text -> papers + warnings, or a SourceShapeError / SourceFetchError. */
export function parseDailyPapers(body: string, where: { url: string; day: string; baseUrl: string; now: Date }): { papers: IncomingPaper[]; warnings: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new SourceFetchError(`${where.url}: not valid JSON (${(err as Error).message}); nothing stored from it`, where.url);
  }
  if (!Array.isArray(json)) throw new SourceShapeError(`Hugging Face daily papers ${where.day}: expected a list of papers, got ${json === null ? "null" : typeof json}; the API may have changed, run stopped`);
  const valid: { item: DailyPaperItem; index: number }[] = [];
  const problems: { index: number; field: string; message: string; id?: string }[] = [];
  json.forEach((raw, index) => {
    const parsed = dailyPaperItem.safeParse(raw);
    if (parsed.success) valid.push({ item: parsed.data, index });
    else {
      const issue = parsed.error.issues[0]!;
      const id = (raw as { paper?: { id?: unknown } } | null)?.paper?.id;
      problems.push({ index, field: issue.path.join(".") || "(item)", message: issue.message, id: typeof id === "string" ? id : undefined });
    }
  });
  if (json.length > 0 && valid.length === 0) {
    // Every item fails: not bad data but a changed API. Name the field most items lack.
    const counts = new Map<string, number>();
    for (const p of problems) counts.set(p.field, (counts.get(p.field) ?? 0) + 1);
    const field = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const example = problems.find((p) => p.field === field)!;
    throw new SourceShapeError(
      `Hugging Face daily papers ${where.day}: field "${field}" is missing or invalid in ${counts.get(field)} of ${json.length} items (${example.message}); the API may have changed, run stopped`,
    );
  }
  const warnings = problems.map((p) => `${where.url} item ${p.index}${p.id ? ` (${p.id})` : ""}: field "${p.field}": ${p.message}; item skipped`);
  const papers = valid.map(({ item }, position) => toIncoming(item, position + 1, where));
  return { papers, warnings };
}

function toIncoming(item: DailyPaperItem, rank: number, where: { baseUrl: string; now: Date }): IncomingPaper {
  const p = item.paper;
  const arxivId = normalizeArxivId(p.id);
  const listed = p.submittedOnDailyAt ?? item.publishedAt;
  const listedAt = listed ? new Date(listed) : undefined;
  const abstract = p.summary.replace(/\s+/g, " ").trim();
  return {
    arxivId,
    title: p.title.replace(/\s+/g, " ").trim(),
    displayTitle: cleanTitle(p.title),
    abstract,
    authors: p.authors.map((a) => a.name.trim()).filter(Boolean),
    publishedAt: new Date(p.publishedAt),
    listedAt: listedAt && listedAt.getTime() <= where.now.getTime() ? listedAt : undefined,
    links: extractLinks(abstract),
    codeUrl: p.githubRepo,
    projectUrl: p.projectPage,
    hfUrl: `${where.baseUrl}/papers/${encodeURIComponent(p.id).replace(/%2F/g, "/")}`,
    rank,
    upvotes: p.upvotes,
    comments: item.numComments,
  };
}

/** Today and the days before it, as UTC dates (YYYY-MM-DD), newest first. */
export function lastDays(now: Date, count: number): string[] {
  return Array.from({ length: count }, (_, i) => new Date(now.getTime() - i * 86400_000).toISOString().slice(0, 10));
}
