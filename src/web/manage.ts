// The preference center, behind the signed manage link: preferences, the subscription's state (with Resubscribe for an
// unsubscribed reader), pause and resume, the reader's archive, feed and data, and deleting everything (after a page
// that says what goes). Thin: parse, call, render.
import cookieParser from "cookie-parser";
import express, { type Request, type RequestHandler, type Response, Router } from "express";
import { z } from "zod";
import { formatDay } from "../dates.ts";
import { AppError } from "../errors.ts";
import type { SubscriptionDeps } from "../subscriptions/deps.ts";
import { formToInput, parseInput, preferencesInput } from "../subscriptions/input.ts";
import {
  deleteSubscriberData,
  describeNextEmail,
  requestResubscription,
  resetFeedLink,
  setPaused,
  subscriberFromLink,
  updatePreferences,
} from "../subscriptions/lifecycle.ts";
import { privateFeedUrl, subscriberLinks } from "../subscriptions/links.ts";
import type { MatchPreviewer } from "../topics/preview.ts";
import { listTopics } from "../topics/topics.ts";
import type { Csrf } from "./csrf.ts";
import { noMatchWarnings } from "./match-warnings.ts";
import { preferenceChoices } from "./options.ts";
import { deletionSummary } from "./reader-data.ts";
import { sendAfterResponse, tokenOf } from "./subscriptions.ts";
import type { Views } from "./views.ts";

type Body = Record<string, unknown>;
type Subscriber = Awaited<ReturnType<typeof subscriberFromLink>>;

/** The delete form's second step must say so: a first POST (or a stray one) only shows what would be deleted. */
const deleteConfirmation = z.object({ confirm: z.literal("delete") });

export function manageRouter(deps: SubscriptionDeps, views: Views, csrf: Csrf, subscribeLimit: RequestHandler, preview: MatchPreviewer): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 100 });
  router.use("/manage", cookieParser());
  const reader = (req: Request) => subscriberFromLink(deps, tokenOf(req), "manage");

  const renderManage = async (req: Request, res: Response, subscriber: Subscriber, extra: Body = {}) => {
    const values = (extra.values as Body | undefined) ?? {
      topics: subscriber.topics.map((t) => t.topic.slug),
      keywords: subscriber.keywords,
      timezone: subscriber.timezone,
      sendHour: subscriber.sendHour,
      maxPapers: subscriber.maxPapers,
      cadence: subscriber.cadence,
      weekday: subscriber.weekday,
    };
    const links = subscriberLinks(deps.links, subscriber.id);
    const state = subscriber.status;
    res.send(
      views.render("manage", {
        title: "Your preferences",
        token: tokenOf(req),
        csrfToken: csrf.token(req, res),
        email: subscriber.email,
        state: { [state]: true },
        pausedUntil: subscriber.pausedUntil ? formatDay(subscriber.pausedUntil, subscriber.timezone) : undefined,
        unsubscribedOn: subscriber.unsubscribedAt ? formatDay(subscriber.unsubscribedAt, subscriber.timezone) : undefined,
        ...(state === "active" ? await describeNextEmail(deps, subscriber.id) : {}),
        topics: await listTopics(deps.db),
        values,
        ...preferenceChoices(values),
        keywordPreviews: extra.errors ? [] : await preview.keywords(subscriber.keywords),
        matchCount: extra.errors ? undefined : await preview.matches(values.topics as string[], subscriber.keywords),
        errors: {},
        ...extra,
        unsubscribeUrl: links.unsubscribeUrl,
        archiveUrl: links.archiveUrl,
        feedUrl: privateFeedUrl(deps.links, subscriber.id, subscriber.feedVersion),
        dataUrl: `/manage/${tokenOf(req)}/data.json`,
      }),
    );
  };

  router.get("/manage/:token", async (req, res) => {
    await renderManage(req, res, await reader(req));
  });

  router.post("/manage/:token", form, csrf.protect, async (req, res) => {
    const subscriber = await reader(req);
    const raw = formToInput(req.body as Body);
    let warnings: string[];
    try {
      const input = parseInput(preferencesInput, raw);
      await updatePreferences(deps, subscriber.id, input);
      warnings = await noMatchWarnings(preview, input.topics, input.keywords);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "invalid_input") throw err;
      res.status(400);
      return renderManage(req, res, subscriber, { values: raw, errors: Object.fromEntries(err.fields.map((f) => [f.field, f.message])) });
    }
    // Saved preferences of a reader who gets nothing must not sound like emails will come.
    const off = subscriber.status === "unsubscribed" || subscriber.status === "bounced";
    const notice = off ? "Your preferences are saved, but you are unsubscribed: no emails will come until you resubscribe." : "Your preferences are saved.";
    await renderManage(req, res, await reader(req), { notice, warnings });
  });

  router.post("/manage/:token/pause", form, csrf.protect, async (req, res) => {
    const subscriber = await reader(req);
    const changed = subscriber.status === "active" && (await setPaused(deps, subscriber.id, true));
    await renderManage(req, res, await reader(req), {
      notice: changed ? "Emails are paused. Resume whenever you like." : "Nothing to pause: the subscription is not active.",
    });
  });

  router.post("/manage/:token/resume", form, csrf.protect, async (req, res) => {
    const subscriber = await reader(req);
    const changed = await setPaused(deps, subscriber.id, false);
    await renderManage(req, res, await reader(req), {
      notice: changed ? "Emails are back on." : "Nothing to resume: the subscription is not paused.",
    });
  });

  // Back after unsubscribing: the same double opt-in as a new subscription (a confirmation email to press).
  router.post("/manage/:token/resubscribe", subscribeLimit, form, csrf.protect, async (req, res) => {
    const subscriber = await reader(req);
    const outcome = await requestResubscription(deps, subscriber.id, req.ip);
    if (outcome.result === "sent") sendAfterResponse(deps, outcome.deliver);
    const notice = {
      sent: `Almost there: we emailed ${subscriber.email} a confirmation link. Press it and your emails start again, with the preferences below.`,
      capped: "We already sent this address several emails today. Please try again tomorrow.",
      refused: "This address cannot receive our emails (they bounced or were refused).",
      "not-unsubscribed": "You are not unsubscribed: nothing to do.",
    }[outcome.result];
    await renderManage(req, res, await reader(req), { notice });
  });

  router.post("/manage/:token/feed/reset", form, csrf.protect, async (req, res) => {
    const subscriber = await reader(req);
    await resetFeedLink(deps, subscriber.id);
    await renderManage(req, res, await reader(req), { notice: "Your feed has a new link: the old one no longer works. Give your feed reader the new one below." });
  });

  // Deleting is two steps: this page (a GET changes nothing) says what goes; its button posts the confirmation.
  const renderDelete = async (req: Request, res: Response, subscriber: Subscriber) => {
    res.send(
      views.render("delete", {
        title: "Delete all your data?",
        token: tokenOf(req),
        csrfToken: csrf.token(req, res),
        email: subscriber.email,
        topicCount: subscriber.topics.length,
        keywordCount: subscriber.keywords.length,
        ...(await deletionSummary(deps.db, subscriber.id)),
      }),
    );
  };

  router.get("/manage/:token/delete", async (req, res) => {
    await renderDelete(req, res, await reader(req));
  });

  router.post("/manage/:token/delete", form, csrf.protect, async (req, res) => {
    const subscriber = await reader(req);
    if (!deleteConfirmation.safeParse(req.body ?? {}).success) return renderDelete(req, res, subscriber);
    await deleteSubscriberData(deps, subscriber.id);
    res.send(views.render("deleted", { title: "Your data is deleted" }));
  });

  return router;
}
