// Pages of the trending papers list (full-text search, a topic filter) and of each paper.
import { Router } from "express";
import { z } from "zod";
import { arxivAbsUrl, arxivPdfUrl } from "../corpus/arxiv.ts";
import { findPaper, listPapers } from "../corpus/papers.ts";
import { leadSentences, shortAuthors } from "../corpus/text.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { invalidFields } from "../subscriptions/input.ts";
import { hasUnsafeChars } from "../text-safety.ts";
import { TOPICS } from "../topics/catalog.ts";
import { paperInTopicSql } from "../topics/topics.ts";
import { canonicalId } from "./params.ts";
import type { Views } from "./views.ts";

const PAGE_SIZE = 50;
const TOPIC_SLUGS = new Set(TOPICS.map((t) => t.slug));

/** `/papers?q=diffusion&topic=agents&page=2`: every part optional; a repeated or malformed one is a 400 naming it. */
const listQuery = z.object({
  page: canonicalId.refine((n) => n <= 100_000).optional().default(1),
  q: z
    .string({ error: "one search text" })
    .max(200, "at most 200 characters")
    .refine((v) => !hasUnsafeChars(v), "must not contain control or text-direction characters")
    .transform((v) => v.replace(/\s+/g, " ").trim())
    .optional(),
  topic: z
    .string({ error: "one topic" })
    .refine((v) => v === "" || TOPIC_SLUGS.has(v), "not one of our topics")
    .optional(),
});
const paperParams = z.object({ id: canonicalId });
const QUERY_MESSAGES: Record<string, string> = { page: "a whole number from 1", q: "one search text of at most 200 characters, without control characters", topic: "one of our topics" };

export function papersRouter(db: Db, views: Views): Router {
  const router = Router();

  router.get("/papers", async (req, res) => {
    const result = listQuery.safeParse(req.query);
    if (!result.success) {
      const fields = result.error.issues.map((i) => String(i.path[0] ?? "query"));
      throw invalidFields(fields.map((field) => ({ field, message: QUERY_MESSAGES[field] ?? "not valid here" })));
    }
    const parsed = result.data;
    const { page } = parsed;
    const query = parsed.q || undefined;
    const topic = parsed.topic ? TOPICS.find((t) => t.slug === parsed.topic) : undefined;
    const { papers, total } = await listPapers(db, { query, within: topic ? paperInTopicSql(topic.slug) : undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const pageUrl = (n: number) => {
      const params = new URLSearchParams();
      if (query) params.set("q", query);
      if (topic) params.set("topic", topic.slug);
      if (n > 1) params.set("page", String(n));
      const qs = params.toString();
      return qs ? `/papers?${qs}` : "/papers";
    };
    const lastPage = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const filtered = Boolean(query || topic);
    const pastEnd = page > lastPage;
    if (pastEnd) res.status(404);
    res.send(
      views.render("papers", {
        title: query ? `Papers about “${query}”` : topic ? `${topic.name}: trending papers` : "Trending papers",
        heading: topic ? topic.name : "Trending papers",
        total,
        page,
        lastPage,
        lastPageUrl: pageUrl(lastPage),
        pastEnd,
        filtered,
        query,
        topic: topic ? { slug: topic.slug, name: topic.name, feedUrl: `/topics/${topic.slug}/feed.xml` } : undefined,
        topics: TOPICS.map((t) => ({ slug: t.slug, name: t.name, selected: t.slug === topic?.slug })),
        subscribeUrl: topic ? `/?topics=${topic.slug}` : "/",
        firstNumber: (page - 1) * PAGE_SIZE + 1,
        papers: papers.map((p) => ({ ...p, lead: leadSentences(p.abstract, 2) })),
        previousPageUrl: page > 1 && !pastEnd ? pageUrl(page - 1) : undefined,
        nextPageUrl: page < lastPage ? pageUrl(page + 1) : undefined,
        allPapersUrl: "/papers",
      }),
    );
  });

  router.get("/papers/:id", async (req, res) => {
    const parsed = paperParams.safeParse(req.params);
    const paper = parsed.success ? await findPaper(db, parsed.data.id) : null;
    if (!paper) throw new AppError("not_found", "There is no paper at this address.");
    // Links in the abstract that are not already shown as code or project page.
    const otherLinks = paper.links.filter((l) => l !== paper.codeUrl && l !== paper.projectUrl);
    res.send(
      views.render("paper", {
        title: paper.displayTitle,
        paper,
        byline: shortAuthors(paper.authors),
        arxivUrl: paper.arxivId ? arxivAbsUrl(paper.arxivId) : undefined,
        pdfUrl: paper.arxivId ? arxivPdfUrl(paper.arxivId) : undefined,
        otherLinks,
        hasLinks: Boolean(paper.arxivId || paper.hfUrl || paper.codeUrl || paper.projectUrl || otherLinks.length),
      }),
    );
  });

  return router;
}
