// Reader pages: subscribe, check inbox, confirm, preference center, unsubscribe. Thin: parse, call, render.
import cookieParser from "cookie-parser";
import express, { type Request, type RequestHandler, type Response, Router } from "express";
import multer from "multer";
import type { DatabaseWatch } from "../db/availability.ts";
import { AppError } from "../errors.ts";
import type { SubscriptionDeps } from "../subscriptions/deps.ts";
import { formToInput, parseInput, preferencesInput, subscriptionInput } from "../subscriptions/input.ts";
import {
  checkConfirmationToken,
  confirmSubscription,
  deleteSubscriberData,
  setPaused,
  subscribe,
  subscriberFromLink,
  unsubscribe,
  updatePreferences,
} from "../subscriptions/lifecycle.ts";
import { subscriberLinks } from "../subscriptions/links.ts";
import type { KeywordPreviewer } from "../topics/preview.ts";
import { TOPICS } from "../topics/catalog.ts";
import { listTopics } from "../topics/topics.ts";
import type { Csrf } from "./csrf.ts";
import { RETRY_AFTER_SECONDS } from "./errors.ts";
import { preferenceChoices } from "./options.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

type Body = Record<string, unknown>;

export function subscriptionPagesRouter(
  deps: SubscriptionDeps,
  views: Views,
  csrf: Csrf,
  subscribeLimit: RequestHandler,
  previewKeywords: KeywordPreviewer,
  database: Pick<DatabaseWatch, "report">,
): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 100 });
  // RFC 8058 one-click POSTs may come as multipart/form-data; fields only, no files.
  const readMultipart = multer({ limits: { fields: 10, fieldSize: 1024, files: 0, parts: 10 } }).none();
  // Every multer/busboy failure (wrong or missing boundary, an unterminated body, limits, a file) is the client's.
  const malformed = () => new AppError("invalid_input", "The form data could not be read.", [{ field: "body", message: "malformed multipart/form-data" }]);
  const multipart: RequestHandler = (req, res, next) => {
    const declared = /^\s*multipart\//i.test(req.get("content-type") ?? "");
    // A multipart body multer skips or reads nothing from (`boundary=` empty) is as malformed as one it rejects.
    readMultipart(req, res, (err?: unknown) => next(err || (declared && req.body === undefined) ? malformed() : undefined));
  };
  router.use(cookieParser());
  // Every page behind a link token: not cached anywhere, not sent on as a referrer (also when the token is wrong).
  router.use(["/confirm/:token", "/manage/:token", "/unsubscribe/:token"], privatePage);

  const renderHome = async (req: Request, res: Response, values: Body, errors: Record<string, string> = {}, unavailable?: string) => {
    // Without the database the form is drawn from the catalog, which the topics table mirrors.
    const topics = unavailable ? TOPICS.map(({ slug, name, description }) => ({ slug, name, description })) : await listTopics(deps.db);
    res.send(
      views.render("home", {
        title: "Trending papers in your inbox",
        csrfToken: csrf.token(req, res),
        topics,
        values,
        errors,
        unavailable,
        ...preferenceChoices(values),
      }),
    );
  };

  router.get("/", (req, res) => renderHome(req, res, { topics: [] }));

  router.post("/subscribe", subscribeLimit, form, csrf.protect, async (req, res) => {
    const raw = formToInput(req.body as Body);
    let deliver: () => Promise<void>;
    try {
      deliver = await subscribe(deps, parseInput(subscriptionInput, raw), req.ip);
    } catch (err) {
      if (database.report(err)) {
        // Nothing is lost silently: the reader gets their form back, filled in, with what happened.
        res.status(503).set("Retry-After", String(RETRY_AFTER_SECONDS));
        return renderHome(req, res, raw as Body, {}, "We could not save your subscription: our database is briefly unavailable. Your choices are still below; please press Subscribe again in a minute.");
      }
      if (!(err instanceof AppError) || err.code !== "invalid_input") throw err;
      res.status(400);
      return renderHome(req, res, raw as Body, Object.fromEntries(err.fields.map((f) => [f.field, f.message])));
    }
    res.redirect(303, "/check-inbox");
    sendAfterResponse(deps, deliver);
  });

  router.get("/check-inbox", (_req, res) => {
    res.send(views.render("check-inbox", { title: "Check your inbox" }));
  });

  router.get("/confirm/:token", async (req, res) => {
    await checkConfirmationToken(deps, tokenOf(req));
    res.send(views.render("confirm", { title: "Confirm your subscription", token: tokenOf(req), csrfToken: csrf.token(req, res) }));
  });

  router.post("/confirm/:token", form, csrf.protect, async (req, res) => {
    const subscriberId = await confirmSubscription(deps, tokenOf(req), req.ip);
    res.send(views.render("confirmed", { title: "You are subscribed", ...subscriberLinks(deps.links, subscriberId) }));
  });

  router.get("/manage/:token", async (req, res) => {
    await renderManage(req, res, await subscriberFromLink(deps, tokenOf(req), "manage"));
  });

  const renderManage = async (req: Request, res: Response, subscriber: Awaited<ReturnType<typeof subscriberFromLink>>, extra: Body = {}) => {
    const values = (extra.values as Body | undefined) ?? {
      topics: subscriber.topics.map((t) => t.topic.slug),
      keywords: subscriber.keywords,
      timezone: subscriber.timezone,
      sendHour: subscriber.sendHour,
      maxPapers: subscriber.maxPapers,
    };
    res.send(
      views.render("manage", {
        title: "Your preferences",
        token: tokenOf(req),
        csrfToken: csrf.token(req, res),
        email: subscriber.email,
        status: subscriber.status,
        paused: subscriber.status === "paused",
        active: subscriber.status === "active",
        topics: await listTopics(deps.db),
        values,
        ...preferenceChoices(values),
        keywordPreviews: Array.isArray(extra.values) || extra.errors ? [] : await previewKeywords(subscriber.keywords),
        errors: {},
        ...extra,
        unsubscribeUrl: subscriberLinks(deps.links, subscriber.id).unsubscribeUrl,
      }),
    );
  };

  router.post("/manage/:token", form, csrf.protect, async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "manage");
    const raw = formToInput(req.body as Body);
    try {
      await updatePreferences(deps, subscriber.id, parseInput(preferencesInput, raw));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "invalid_input") throw err;
      res.status(400);
      return renderManage(req, res, subscriber, { values: raw, errors: Object.fromEntries(err.fields.map((f) => [f.field, f.message])) });
    }
    await renderManage(req, res, await subscriberFromLink(deps, tokenOf(req), "manage"), { notice: "Your preferences are saved." });
  });

  router.post("/manage/:token/pause", form, csrf.protect, async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "manage");
    const changed = await setPaused(deps, subscriber.id, true);
    await renderManage(req, res, await subscriberFromLink(deps, tokenOf(req), "manage"), {
      notice: changed ? "Emails are paused. Resume whenever you like." : "Nothing to pause: the subscription is not active.",
    });
  });

  router.post("/manage/:token/resume", form, csrf.protect, async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "manage");
    const changed = await setPaused(deps, subscriber.id, false);
    await renderManage(req, res, await subscriberFromLink(deps, tokenOf(req), "manage"), {
      notice: changed ? "Emails are back on." : "Nothing to resume: the subscription is not paused.",
    });
  });

  router.post("/manage/:token/delete", form, csrf.protect, async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "manage");
    await deleteSubscriberData(deps, subscriber.id);
    res.send(views.render("deleted", { title: "Your data is deleted" }));
  });

  router.get("/unsubscribe/:token", async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "unsubscribe");
    res.send(views.render("unsubscribe", { title: "Unsubscribe", token: tokenOf(req), email: subscriber.email, csrfToken: csrf.token(req, res) }));
  });

  router.post("/unsubscribe/:token", form, multipart, async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const oneClick = body["List-Unsubscribe"] === "One-Click";
    // RFC 8058: mail providers POST without cookies or tokens; the signed URL is the authorisation.
    if (!oneClick) await new Promise<void>((resolve, reject) => csrf.protect(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "unsubscribe");
    await unsubscribe(deps, subscriber.id);
    if (oneClick) {
      res.status(200).type("text/plain").send("Unsubscribed.");
      return;
    }
    res.send(views.render("unsubscribed", { title: "You are unsubscribed", manageUrl: subscriberLinks(deps.links, subscriber.id).manageUrl }));
  });

  return router;
}

/**
 * Emails go out after the answer, so its timing says nothing about the address. A failure is logged; the email's
 * outbox row stays unsent and the outbox sweeper sends it later.
 */
export function sendAfterResponse(deps: Pick<SubscriptionDeps, "log">, deliver: () => Promise<void>) {
  setImmediate(() => {
    deliver().catch((err) => deps.log.warn({ err }, "sending a subscription email failed; the opt-in outbox retries it within 10 minutes"));
  });
}

const tokenOf = (req: Request): string => String(req.params.token ?? "");
