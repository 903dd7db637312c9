// "View in browser": a digest's own page, behind a signed link carried by the email, with the same "more / less like
// this" links as the email.
import { Router } from "express";
import { formatDay } from "../dates.ts";
import type { Db } from "../db/client.ts";
import { paperSentence } from "../digest/layout.ts";
import { DIGEST_PAPER_FIELDS, digestSubject, paperMeta, whyMatched } from "../digest/render.ts";
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
          include: { items: { orderBy: { position: "asc" }, include: { paper: { select: DIGEST_PAPER_FIELDS } } } },
        })
      : null;
    if (!digest || digest.items.length === 0) throw new AppError("not_found", "This digest does not exist (any more).");
    const papers = digest.items.map((i) => ({
      ...i.paper,
      lead: paperSentence(i.paper.abstract),
      ...paperMeta(i.paper),
      why: whyMatched(i),
      moreUrl: feedbackUrl(links, digest.subscriberId, i.paper.id, "more"),
      lessUrl: feedbackUrl(links, digest.subscriberId, i.paper.id, "less"),
    }));
    const subject = digestSubject({ localDate: digest.localDate, papers: digest.items.map((i) => ({ matchedTopics: i.matchedTopics, matchedKeywords: i.matchedKeywords })) });
    res.send(views.render("digest", { title: subject, subject, date: formatDay(digest.localDate), papers }));
  });
  return router;
}
