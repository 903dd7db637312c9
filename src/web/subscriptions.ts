// Reader pages: subscribe, check inbox, confirm. Thin: parse, call, render. The preference center is manage.ts, the
// unsubscribe page unsubscribe.ts.
import cookieParser from "cookie-parser";
import express, { type Request, type RequestHandler, type Response, Router } from "express";
import type { DatabaseWatch } from "../db/availability.ts";
import { AppError } from "../errors.ts";
import type { SubscriptionDeps } from "../subscriptions/deps.ts";
import { formToInput, parseInput, subscriptionInput } from "../subscriptions/input.ts";
import { checkConfirmationToken, confirmSubscription, explainSpentConfirmation, spentConfirmationError } from "../subscriptions/confirmation.ts";
import { describeNextEmail, subscribe } from "../subscriptions/lifecycle.ts";
import { subscriberLinks } from "../subscriptions/links.ts";
import { TOPICS } from "../topics/catalog.ts";
import type { MatchPreviewer } from "../topics/preview.ts";
import { listTopics } from "../topics/topics.ts";
import type { Csrf } from "./csrf.ts";
import { RETRY_AFTER_SECONDS } from "./errors.ts";
import { findNoMatch, type NoMatch, noMatchQuery, readNoMatchQuery, warningLines } from "./match-warnings.ts";
import { preferenceChoices } from "./options.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

type Body = Record<string, unknown>;

export function subscriptionPagesRouter(
  deps: SubscriptionDeps,
  views: Views,
  csrf: Csrf,
  subscribeLimit: RequestHandler,
  preview: MatchPreviewer,
  database: Pick<DatabaseWatch, "report">,
): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 100 });
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
        // The browser's zone is a guess for a fresh form only: never over a zone the reader sent (a form shown again
        // after an error keeps what they picked).
        detectTimezone: values.timezone === undefined,
      }),
    );
  };

  // `/?topics=reasoning` (from a topic's paper list) ticks that topic; anything unknown is ignored.
  router.get("/", (req, res) => {
    const asked = req.query.topics;
    const topics = (Array.isArray(asked) ? asked : [asked]).filter((t): t is string => typeof t === "string" && TOPICS.some((c) => c.slug === t));
    return renderHome(req, res, { topics });
  });

  router.post("/subscribe", subscribeLimit, form, csrf.protect, async (req, res) => {
    const raw = formToInput(req.body as Body);
    let deliver: () => Promise<void>;
    let noMatch: NoMatch;
    try {
      const input = parseInput(subscriptionInput, raw);
      // The warnings are about what the reader typed, not who they are: the same for every address, nothing to
      // enumerate; worked out alongside the subscription.
      [deliver, noMatch] = await Promise.all([subscribe(deps, input, req.ip), findNoMatch(preview, input.topics, input.keywords)]);
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
    res.redirect(303, `/check-inbox${noMatchQuery(deps.links.appSecret, noMatch)}`);
    sendAfterResponse(deps, deliver);
  });

  router.get("/check-inbox", (req, res) => {
    const noMatch = readNoMatchQuery(deps.links.appSecret, req.query as Record<string, unknown>);
    res.send(views.render("check-inbox", { title: "Check your inbox", warnings: noMatch ? warningLines(noMatch) : [] }));
  });

  /** A link that cannot confirm: its address confirmed already (say so, link the preferences), or why not. */
  const spentLink = async (req: Request, res: Response, otherwise?: AppError) => {
    const spent = await explainSpentConfirmation(deps, tokenOf(req));
    if (spent.kind !== "confirmed") throw spent.kind === "invalid" && otherwise ? otherwise : spentConfirmationError(spent);
    res.send(views.render("already-confirmed", { title: "Already confirmed", ...subscriberLinks(deps.links, spent.subscriberId), ...(await describeNextEmail(deps, spent.subscriberId)) }));
  };

  router.get("/confirm/:token", async (req, res) => {
    if (!(await checkConfirmationToken(deps, tokenOf(req)))) return spentLink(req, res);
    res.send(views.render("confirm", { title: "Confirm your subscription", token: tokenOf(req), csrfToken: csrf.token(req, res) }));
  });

  router.post("/confirm/:token", form, csrf.protect, async (req, res) => {
    let subscriberId: string;
    try {
      subscriberId = await confirmSubscription(deps, tokenOf(req), req.ip);
    } catch (err) {
      // A second press of the button (or of the link in another tab) finds the address confirmed: not an error.
      if (err instanceof AppError && err.code === "invalid_token") return spentLink(req, res, err);
      throw err;
    }
    res.send(views.render("confirmed", { title: "You are subscribed", ...subscriberLinks(deps.links, subscriberId), ...(await describeNextEmail(deps, subscriberId)) }));
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

export const tokenOf = (req: Request): string => String(req.params.token ?? "");
