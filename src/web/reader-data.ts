// A reader's own data, each behind a signed link of its own purpose: the archive of their past digests, their private
// Atom feed (the papers of their emails), and "Download my data" (a JSON file of everything we store about them).
import { type RequestHandler, Router } from "express";
import { formatDay } from "../dates.ts";
import type { Db } from "../db/client.ts";
import { countSentDigests, listSentDigests, type SentDigest } from "../digest/history.ts";
import { digestSubject, whyMatched } from "../digest/render.ts";
import { digestPageUrl } from "../digest/send.ts";
import { AppError } from "../errors.ts";
import { renderAtomFeed } from "../feeds/atom.ts";
import { countFeedback, listFeedback } from "../feedback/feedback.ts";
import { buildDataExport } from "../subscriptions/data-export.ts";
import { loadSubscriberRecord, subscriberFromLink } from "../subscriptions/lifecycle.ts";
import type { LinkSettings } from "../subscriptions/links.ts";
import { checkSubscriberToken, claimedSubscriberId } from "../subscriptions/tokens.ts";
import { paperEntry } from "./feeds.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

const FEED_DIGESTS = 30;

export function readerDataRouter(deps: { db: Db; links: LinkSettings; now?: () => Date }, views: Views, exportLimit: RequestHandler): Router {
  const router = Router();
  const { db, links } = deps;
  const now = () => deps.now?.() ?? new Date();
  router.use(["/archive/:token", "/feed/:file", "/manage/:token/data.json"], privatePage);

  router.get("/archive/:token", async (req, res) => {
    const subscriber = await subscriberFromLink(deps, String(req.params.token), "archive");
    const digests = await listSentDigests(db, subscriber.id);
    res.send(
      views.render("archive", {
        title: "Your past digests",
        email: subscriber.email,
        digests: digests.map((d) => ({
          dateText: formatDay(d.localDate),
          subject: d.subject ?? subjectOf(d),
          count: d.papers.length,
          url: digestPageUrl({ publicBaseUrl: links.publicBaseUrl, appSecret: links.appSecret }, d.id),
          titles: d.papers.slice(0, 3).map((p) => p.displayTitle),
          more: Math.max(0, d.papers.length - 3),
        })),
      }),
    );
  });

  // /feed/<token>.xml: a token of purpose "feed" signed with the reader's current feed version.
  router.get("/feed/:file", async (req, res) => {
    const token = String(req.params.file).replace(/\.xml$/, "");
    const claimed = claimedSubscriberId(token);
    const subscriber = claimed ? await db.subscriber.findUnique({ where: { id: claimed }, select: { id: true, feedVersion: true, createdAt: true } }) : null;
    const check = subscriber ? checkSubscriberToken(links.appSecret, token, "feed", now(), `v${subscriber.feedVersion}`) : undefined;
    if (!subscriber || !check?.ok || !String(req.params.file).endsWith(".xml")) throw new AppError("invalid_token", "This feed link is not valid (any more): the preference center shows the current one.");
    const digests = await listSentDigests(db, subscriber.id, FEED_DIGESTS);
    const xml = renderAtomFeed({
      selfUrl: `${links.publicBaseUrl}/feed/${token}.xml`,
      pageUrl: `${links.publicBaseUrl}/papers`,
      siteUrl: links.publicBaseUrl,
      title: "Your papers: Trending Papers Digest",
      subtitle: "The papers of your emails, newest first.",
      emptyUpdated: subscriber.createdAt,
      entries: digests.flatMap((d) =>
        d.papers.map((p) => paperEntry(links.publicBaseUrl, { ...p, arxivId: p.arxivId ?? null, authors: p.authors ?? [] }, d.sentAt ?? d.localDate, [], [`Why you got this: ${whyMatched(p)}`, `In your email of ${formatDay(d.localDate)}`])),
      ),
    });
    res.type("application/atom+xml; charset=utf-8").send(xml);
  });

  router.get("/manage/:token/data.json", exportLimit, async (req, res) => {
    const { id } = await subscriberFromLink(deps, String(req.params.token), "manage");
    const [record, digests, feedback] = await Promise.all([loadSubscriberRecord(deps, id), listSentDigests(db, id), listFeedback(db, id)]);
    const document = buildDataExport({
      exportedAt: now(),
      baseUrl: links.publicBaseUrl,
      subscriber: record.subscriber,
      optInEmails: record.optInEmails,
      digests: digests.map((d) => ({
        localDate: d.localDate,
        sentAt: d.sentAt,
        subject: d.subject,
        papers: d.papers.map((p, i) => ({ position: i + 1, id: p.id, title: p.displayTitle, arxivId: p.arxivId, why: whyMatched(p) })),
      })),
      feedback,
    });
    res
      .set("Content-Disposition", 'attachment; filename="trending-papers-digest-my-data.json"')
      .type("application/json; charset=utf-8")
      .send(`${JSON.stringify(document, null, 2)}\n`);
  });

  return router;
}

/** What the preference center's "Delete all my data" page lists as going. */
export async function deletionSummary(db: Db, subscriberId: string) {
  const [sent, feedback] = await Promise.all([countSentDigests(db, subscriberId), countFeedback(db, subscriberId)]);
  return { digests: sent.digests, papers: sent.papers, feedback };
}

function subjectOf(d: SentDigest): string {
  return digestSubject({ localDate: d.localDate, papers: d.papers });
}
