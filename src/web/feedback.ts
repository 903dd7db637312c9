// "More like this" / "Less like this" from an email or a digest page. The link only shows the choice (a mail scanner
// that opens every link records nothing); the button on the page records it. Idempotent, and undoable.
import cookieParser from "cookie-parser";
import express, { type Request, Router } from "express";
import { z } from "zod";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { findFeedback, recordFeedback, undoFeedback } from "../feedback/feedback.ts";
import { subscriberLinks } from "../subscriptions/links.ts";
import { verifyFeedbackToken } from "../subscriptions/tokens.ts";
import type { Csrf } from "./csrf.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

const choiceBody = z.object({ choice: z.enum(["more", "less", "undo"]) });
const shownChoice = z.object({ v: z.enum(["more", "less"]).optional(), done: z.enum(["more", "less", "undo"]).optional() });

export function feedbackRouter(deps: { db: Db; appSecret: string; publicBaseUrl: string }, views: Views, csrf: Csrf): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: "4kb", parameterLimit: 10 });
  router.use("/feedback", cookieParser());
  // The link is a credential and the page one reader's: never cached, indexed or sent as a referrer.
  router.use("/feedback/:token", privatePage);

  const load = async (req: Request) => {
    const link = verifyFeedbackToken(deps.appSecret, String(req.params.token ?? ""));
    const [subscriber, paper] = link
      ? await Promise.all([
          deps.db.subscriber.findUnique({ where: { id: link.subscriberId }, select: { id: true } }),
          deps.db.paper.findUnique({ where: { id: link.paperId }, select: { id: true, displayTitle: true } }),
        ])
      : [null, null];
    if (!link || !subscriber || !paper) throw new AppError("invalid_token", "This link is not valid, or the subscription no longer exists.");
    return { subscriberId: subscriber.id, paper };
  };

  router.get("/feedback/:token", async (req, res) => {
    const { subscriberId, paper } = await load(req);
    const query = shownChoice.safeParse(req.query);
    const shown = query.success ? query.data : {};
    const current = await findFeedback(deps.db, subscriberId, paper.id);
    res.send(
      views.render("feedback", {
        title: "More or less like this?",
        token: String(req.params.token),
        csrfToken: csrf.token(req, res),
        paper,
        suggested: shown.v ?? "more",
        current,
        done: shown.done,
        manageUrl: subscriberLinks({ publicBaseUrl: deps.publicBaseUrl, appSecret: deps.appSecret }, subscriberId).manageUrl,
      }),
    );
  });

  router.post("/feedback/:token", form, csrf.protect, async (req, res) => {
    const { subscriberId, paper } = await load(req);
    const parsed = choiceBody.safeParse(req.body ?? {});
    if (!parsed.success) throw new AppError("invalid_input", "Choose “more like this”, “less like this” or undo.", [{ field: "choice", message: "more, less or undo" }]);
    if (parsed.data.choice === "undo") await undoFeedback(deps.db, subscriberId, paper.id);
    else await recordFeedback(deps.db, subscriberId, paper.id, parsed.data.choice);
    // Post/redirect/get: reloading the page records nothing twice.
    res.redirect(303, `/feedback/${String(req.params.token)}?done=${parsed.data.choice}`);
  });

  return router;
}
