// Atom feeds: a public one per topic (its newest papers), and a private one per reader behind a signed link (the
// papers of the emails they were sent).
import { Router } from "express";
import { arxivAbsUrl, arxivPdfUrl } from "../corpus/arxiv.ts";
import { contributionSentence } from "../corpus/contribution.ts";
import { leadSentences } from "../corpus/text.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { type FeedEntry, renderAtomFeed } from "../feeds/atom.ts";
import type { LinkSettings } from "../subscriptions/links.ts";
import { TOPICS } from "../topics/catalog.ts";
import { listTopicPapers } from "../topics/topics.ts";

const TOPIC_FEED_SIZE = 50;
const ATOM = "application/atom+xml; charset=utf-8";

export function feedsRouter(db: Db, links: LinkSettings): Router {
  const router = Router();
  const base = links.publicBaseUrl;

  router.get("/topics/:slug/feed.xml", async (req, res) => {
    const topic = TOPICS.find((t) => t.slug === req.params.slug);
    if (!topic) throw new AppError("not_found", "There is no such topic.");
    const rows = await listTopicPapers(db, topic.slug, TOPIC_FEED_SIZE);
    const xml = renderAtomFeed({
      selfUrl: `${base}/topics/${topic.slug}/feed.xml`,
      pageUrl: `${base}/papers?topic=${topic.slug}`,
      siteUrl: base,
      title: `${topic.name}: Trending Papers Digest`,
      subtitle: `The newest papers on ${topic.name}. ${topic.description}`,
      emptyUpdated: new Date(0),
      entries: rows.map(({ paper }) => paperEntry(base, paper, paper.firstSeenAt, [{ term: topic.slug, label: topic.name }])),
    });
    // Public and the same for everyone: caches may keep it a while.
    res.set("Cache-Control", "public, max-age=900").type(ATOM).send(xml);
  });

  return router;
}

type FeedPaper = { id: number; displayTitle: string; abstract: string; arxivId: string | null; codeUrl: string | null; authors: string[] };

/** One paper as a feed entry: its contribution sentence, and the links an email gives it. */
export function paperEntry(base: string, paper: FeedPaper, updated: Date, categories: { term: string; label: string }[] = [], notes: string[] = []): FeedEntry {
  const url = `${base}/papers/${paper.id}`;
  return {
    id: url,
    title: paper.displayTitle,
    url,
    updated,
    summary: contributionSentence(paper.abstract) ?? leadSentences(paper.abstract, 2, 320),
    notes,
    links: [
      ...(paper.arxivId ? [{ label: "arXiv", url: arxivAbsUrl(paper.arxivId) }, { label: "PDF", url: arxivPdfUrl(paper.arxivId) }] : []),
      ...(paper.codeUrl ? [{ label: "Code", url: paper.codeUrl }] : []),
    ],
    authors: paper.authors,
    categories,
  };
}
