// The unsubscribe link of every email: a page with the button (a GET changes nothing), the RFC 8058 one-click POST, and
// the alternatives a reader may prefer (a 2-week pause, fewer papers, weekly instead of daily). The link never expires,
// so it can only ever lessen the mail: stop it, pause it, shrink it, or send a confirmation email to come back.
import cookieParser from "cookie-parser";
import express, { type RequestHandler, Router } from "express";
import multer from "multer";
import { z } from "zod";
import { formatDay } from "../dates.ts";
import { AppError } from "../errors.ts";
import type { SubscriptionDeps } from "../subscriptions/deps.ts";
import { MIN_PAPERS } from "../subscriptions/input.ts";
import { chooseLessMail, type LessMail, requestResubscription, subscriberFromLink, unsubscribe } from "../subscriptions/lifecycle.ts";
import { subscriberLinks } from "../subscriptions/links.ts";
import { WEEKDAYS } from "../subscriptions/schedule.ts";
import type { Csrf } from "./csrf.ts";
import { sendAfterResponse, tokenOf } from "./subscriptions.ts";
import type { Views } from "./views.ts";

type Body = Record<string, unknown>;

const instead = z.object({ choice: z.enum(["pause-2-weeks", "fewer-papers", "weekly"], { error: "pause-2-weeks, fewer-papers or weekly" }) });
export const PAUSE_DAYS = 14;
/** The weekly email an unsubscribing daily reader may take instead: Mondays. */
export const WEEKLY_INSTEAD_WEEKDAY = 1;

export function unsubscribeRouter(deps: SubscriptionDeps, views: Views, csrf: Csrf, subscribeLimit: RequestHandler): Router {
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
  router.use("/unsubscribe", cookieParser());
  const protect = (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) =>
    new Promise<void>((resolve, reject) => csrf.protect(req, res, (err?: unknown) => (err ? reject(err) : resolve())));

  router.get("/unsubscribe/:token", async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "unsubscribe");
    const state = subscriber.status;
    res.send(
      views.render("unsubscribe", {
        title: state === "unsubscribed" ? "You are already unsubscribed" : "Unsubscribe",
        token: tokenOf(req),
        email: subscriber.email,
        csrfToken: csrf.token(req, res),
        already: state === "unsubscribed",
        bounced: state === "bounced",
        since: subscriber.unsubscribedAt ? formatDay(subscriber.unsubscribedAt, subscriber.timezone) : undefined,
        // Alternatives that lessen the mail of a reader who gets it (or paused it).
        alternatives: state === "active" || state === "paused",
        pauseDays: PAUSE_DAYS,
        fewer: subscriber.maxPapers > MIN_PAPERS ? { from: subscriber.maxPapers, to: MIN_PAPERS } : undefined,
        weekly: subscriber.cadence === "daily" ? { weekday: WEEKDAYS[WEEKLY_INSTEAD_WEEKDAY - 1] } : undefined,
      }),
    );
  });

  router.post("/unsubscribe/:token", form, multipart, async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const oneClick = body["List-Unsubscribe"] === "One-Click";
    // RFC 8058: mail providers POST without cookies or tokens; the signed URL is the authorisation.
    if (!oneClick) await protect(req, res);
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "unsubscribe");
    await unsubscribe(deps, subscriber.id);
    if (oneClick) {
      res.status(200).type("text/plain").send("Unsubscribed.");
      return;
    }
    res.send(views.render("unsubscribed", { title: "You are unsubscribed", token: tokenOf(req), csrfToken: csrf.token(req, res), manageUrl: subscriberLinks(deps.links, subscriber.id).manageUrl }));
  });

  router.post("/unsubscribe/:token/instead", form, csrf.protect, async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "unsubscribe");
    const parsed = instead.safeParse(req.body ?? {});
    if (!parsed.success) throw new AppError("invalid_input", "Choose one of the alternatives.", [{ field: "choice", message: "pause-2-weeks, fewer-papers or weekly" }]);
    const now = deps.now?.() ?? new Date();
    const choice: LessMail = {
      "pause-2-weeks": { kind: "pause" as const, until: new Date(now.getTime() + PAUSE_DAYS * 86_400_000) },
      "fewer-papers": { kind: "fewer" as const, maxPapers: MIN_PAPERS },
      weekly: { kind: "weekly" as const, weekday: WEEKLY_INSTEAD_WEEKDAY },
    }[parsed.data.choice];
    const done = await chooseLessMail(deps, subscriber.id, choice);
    if (!done) throw new AppError("invalid_input", "That is not possible any more: you are unsubscribed, or it is already so.", [{ field: "choice", message: "not available now" }]);
    const message = {
      pause: `Your emails are paused until ${formatDay(choice.kind === "pause" ? choice.until : now, subscriber.timezone)}. Then they start again by themselves.`,
      fewer: `From now on your emails hold at most ${MIN_PAPERS} papers.`,
      weekly: `From now on you get one email a week, on ${WEEKDAYS[WEEKLY_INSTEAD_WEEKDAY - 1]}s, with the week's best papers.`,
    }[choice.kind];
    res.send(views.render("less-mail", { title: "Done", message }));
  });

  // Back after unsubscribing: a confirmation email, exactly as for a new subscription (nothing else changes here).
  router.post("/unsubscribe/:token/resubscribe", subscribeLimit, form, csrf.protect, async (req, res) => {
    const subscriber = await subscriberFromLink(deps, tokenOf(req), "unsubscribe");
    const outcome = await requestResubscription(deps, subscriber.id, req.ip);
    if (outcome.result === "sent") sendAfterResponse(deps, outcome.deliver);
    res.send(views.render("resubscribe-requested", { title: "Check your inbox", sent: outcome.result === "sent", capped: outcome.result === "capped", email: subscriber.email }));
  });

  return router;
}
