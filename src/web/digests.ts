// "View in browser": a digest's own page, behind a signed link carried by the email, laid out as the email (heading,
// topic groups, contribution sentences) with the same "more / less like this" links.
import { Router } from "express";
import { formatDay } from "../dates.ts";
import type { Db } from "../db/client.ts";
import { digestHeading, groupPapers, paperSentence } from "../digest/layout.ts";
import { loadDigestPapers } from "../digest/queries.ts";
import { digestSubject, paperMeta, whyMatched } from "../digest/render.ts";
import { AppError } from "../errors.ts";
import { feedbackUrl, type LinkSettings } from "../subscriptions/links.ts";
import { verifySubscriberToken } from "../subscriptions/tokens.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

export function digestPagesRouter(db: Db, links: LinkSettings, views: Views, now: () => Date = () => new Date()): Router {
  const router = Router();
  router.use("/digests/:token", privatePage);
  router.get("/digests/:token", async (req, res) => {
    const digestId = verifySubscriberToken(links.appSecret, String(req.params.token), "digest", now());
    const digest = digestId
      ? await db.digest.findUnique({
          where: { id: digestId },
          select: { id: true, subscriberId: true, localDate: true, subscriber: { select: { keywords: true, topics: { select: { topic: { select: { slug: true } } } } } } },
        })
      : null;
    const items = digest ? ((await loadDigestPapers(db, [digest.id])).get(digest.id) ?? []) : [];
    if (!digest || items.length === 0) throw new AppError("not_found", "This digest does not exist (any more).");
    // Laid out as the email: its heading, and the papers under the topic each came for (digest/layout.ts).
    const interests = { topics: digest.subscriber.topics.map((t) => t.topic.slug), keywords: digest.subscriber.keywords };
    let position = 0;
    const groups = groupPapers(items, interests).map((group) => ({
      name: group.name,
      papers: group.papers.map((paper) => ({
        ...paper,
        position: ++position,
        lead: paperSentence(paper.abstract),
        ...paperMeta(paper),
        why: whyMatched(paper),
        moreUrl: feedbackUrl(links, digest.subscriberId, paper.id, "more"),
        lessUrl: feedbackUrl(links, digest.subscriberId, paper.id, "less"),
      })),
    }));
    const subject = digestSubject({ localDate: digest.localDate, papers: items });
    res.send(views.render("digest", { title: subject, heading: digestHeading(items.length, interests), date: formatDay(digest.localDate), groups }));
  });
  return router;
}
