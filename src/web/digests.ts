// "View in browser": a digest's own page, behind a signed link carried by the email.
import { Router } from "express";
import { leadSentences } from "../corpus/text.ts";
import type { Db } from "../db/client.ts";
import { digestSubject } from "../digest/render.ts";
import { AppError } from "../errors.ts";
import { verifySubscriberToken } from "../subscriptions/tokens.ts";
import { TOPICS } from "../topics/catalog.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

const TOPIC_NAMES = new Map(TOPICS.map((t) => [t.slug, t.name]));

export function digestPagesRouter(db: Db, appSecret: string, views: Views, now: () => Date = () => new Date()): Router {
  const router = Router();
  router.use("/digests/:token", privatePage);
  router.get("/digests/:token", async (req, res) => {
    const digestId = verifySubscriberToken(appSecret, String(req.params.token), "digest", now());
    const digest = digestId
      ? await db.digest.findUnique({
          where: { id: digestId },
          include: { items: { orderBy: { position: "asc" }, include: { paper: { select: { id: true, displayTitle: true, abstract: true, codeUrl: true } } } } },
        })
      : null;
    if (!digest || digest.items.length === 0) throw new AppError("not_found", "This digest does not exist (any more).");
    const papers = digest.items.map((i) => ({
      ...i.paper,
      lead: leadSentences(i.paper.abstract, 3, 480),
      why: [...i.matchedTopics.map((s) => TOPIC_NAMES.get(s) ?? s), ...i.matchedKeywords.map((k) => `your keyword “${k}”`)].join(", "),
    }));
    const subject = digestSubject({ localDate: digest.localDate, papers: digest.items.map((i) => ({ matchedTopics: i.matchedTopics, matchedKeywords: i.matchedKeywords })) });
    res.send(views.render("digest", { title: subject, subject, date: digest.localDate.toISOString().slice(0, 10), papers }));
  });
  return router;
}
