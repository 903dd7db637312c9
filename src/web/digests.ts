// "View in browser": a digest's own page, behind a signed link carried by the email, with the same "more / less like
// this" links as the email.
import { Router } from "express";
import { leadSentences } from "../corpus/text.ts";
import type { Db } from "../db/client.ts";
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
    const digest = digestId ? await db.digest.findUnique({ where: { id: digestId }, select: { id: true, subscriberId: true, localDate: true } }) : null;
    const items = digest ? ((await loadDigestPapers(db, [digest.id])).get(digest.id) ?? []) : [];
    if (!digest || items.length === 0) throw new AppError("not_found", "This digest does not exist (any more).");
    const papers = items.map((paper) => ({
      ...paper,
      lead: leadSentences(paper.abstract, 3, 480),
      ...paperMeta(paper),
      why: whyMatched(paper),
      moreUrl: feedbackUrl(links, digest.subscriberId, paper.id, "more"),
      lessUrl: feedbackUrl(links, digest.subscriberId, paper.id, "less"),
    }));
    const subject = digestSubject({ localDate: digest.localDate, papers: items });
    res.send(views.render("digest", { title: subject, subject, date: digest.localDate.toISOString().slice(0, 10), papers }));
  });
  return router;
}
