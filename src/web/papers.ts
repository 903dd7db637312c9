// Pages of the trending papers list and of each paper.
import { Router } from "express";
import { z } from "zod";
import { countPapers, findPaper, listTrendingPapers } from "../corpus/papers.ts";
import { arxivAbsUrl, arxivPdfUrl } from "../corpus/arxiv.ts";
import { leadSentences, shortAuthors } from "../corpus/text.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { canonicalId } from "./params.ts";
import type { Views } from "./views.ts";

const PAGE_SIZE = 50;
const pageQuery = z.object({ page: canonicalId.refine((n) => n <= 100_000).default(1) });
const paperParams = z.object({ id: canonicalId });

export function papersRouter(db: Db, views: Views): Router {
  const router = Router();

  router.get("/papers", async (req, res) => {
    const parsed = pageQuery.safeParse(req.query);
    if (!parsed.success) throw new AppError("invalid_input", "The page number is not valid.", [{ field: "page", message: "a whole number from 1" }]);
    const page = parsed.data.page;
    const [papers, total] = await Promise.all([listTrendingPapers(db, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }), countPapers(db)]);
    res.send(
      views.render("papers", {
        title: "Trending papers",
        total,
        firstNumber: (page - 1) * PAGE_SIZE + 1,
        papers: papers.map((p) => ({ ...p, lead: leadSentences(p.abstract, 2) })),
        previousPage: page > 1 ? page - 1 : undefined,
        nextPage: page * PAGE_SIZE < total ? page + 1 : undefined,
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
