// JSON API mirroring the pages, for operators and scripts.
import express, { type RequestHandler, Router } from "express";
import type { SubscriptionDeps } from "../subscriptions/deps.ts";
import { invalidFields, keywordPreviewInput, parseInput, subscriptionInput } from "../subscriptions/input.ts";
import { assertTopicsKnown, subscribe } from "../subscriptions/lifecycle.ts";
import type { MatchPreviewer } from "../topics/preview.ts";
import { listTopics } from "../topics/topics.ts";
import { noMatchWarnings } from "./match-warnings.ts";
import { sendAfterResponse } from "./subscriptions.ts";

export function apiRouter(deps: SubscriptionDeps, subscribeLimit: RequestHandler, preview: MatchPreviewer, previewLimit: RequestHandler): Router {
  const router = Router();
  const json = express.json({ limit: "16kb", strict: true });

  router.get("/api/topics", async (_req, res) => {
    res.json({ topics: await listTopics(deps.db) });
  });

  // How keywords are understood and how many recent papers they, and the topics with them, match (the forms call this
  // as the reader chooses).
  router.get("/api/keywords", previewLimit, async (req, res) => {
    const { q = [], topics = [] } = parseInput(keywordPreviewInput, req.query);
    await assertTopicsKnown(deps.db, topics);
    res.json({ keywords: await preview.keywords(q), matches: await preview.matches(topics, q) });
  });

  router.post("/api/subscriptions", subscribeLimit, json, async (req, res) => {
    // Without this, a form-encoded or text body would be read as "no body" and blamed on the email field.
    if (!req.is("application/json")) throw invalidFields([{ field: "body", message: "send JSON with Content-Type: application/json" }]);
    const input = parseInput(subscriptionInput, req.body ?? {});
    // Same answer for new, pending, active and suppressed addresses: nothing to enumerate. The warnings depend only on
    // the topics and keywords sent; worked out alongside, so they add no time to the answer.
    const [deliver, warnings] = await Promise.all([subscribe(deps, input, req.ip), noMatchWarnings(preview, input.topics, input.keywords)]);
    res.status(202).json(warnings.length ? { status: "pending", warnings } : { status: "pending" });
    sendAfterResponse(deps, deliver);
  });

  return router;
}
