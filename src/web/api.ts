// JSON API mirroring the pages, for operators and scripts.
import express, { type RequestHandler, Router } from "express";
import type { SubscriptionDeps } from "../subscriptions/deps.ts";
import { invalidFields, keywordPreviewInput, parseInput, subscriptionInput } from "../subscriptions/input.ts";
import { subscribe } from "../subscriptions/lifecycle.ts";
import type { KeywordPreviewer } from "../topics/preview.ts";
import { listTopics } from "../topics/topics.ts";
import { sendAfterResponse } from "./subscriptions.ts";

export function apiRouter(deps: SubscriptionDeps, subscribeLimit: RequestHandler, previewKeywords: KeywordPreviewer, previewLimit: RequestHandler): Router {
  const router = Router();
  const json = express.json({ limit: "16kb", strict: true });

  router.get("/api/topics", async (_req, res) => {
    res.json({ topics: await listTopics(deps.db) });
  });

  // How keywords are understood and how many recent papers they match (the forms call this as the reader types).
  router.get("/api/keywords", previewLimit, async (req, res) => {
    const { q } = parseInput(keywordPreviewInput, req.query);
    res.json({ keywords: await previewKeywords(q) });
  });

  router.post("/api/subscriptions", subscribeLimit, json, async (req, res) => {
    // Without this, a form-encoded or text body would be read as "no body" and blamed on the email field.
    if (!req.is("application/json")) throw invalidFields([{ field: "body", message: "send JSON with Content-Type: application/json" }]);
    const input = parseInput(subscriptionInput, req.body ?? {});
    const deliver = await subscribe(deps, input, req.ip);
    // Same answer for new, pending, active and suppressed addresses: nothing to enumerate.
    res.status(202).json({ status: "pending" });
    sendAfterResponse(deps, deliver);
  });

  return router;
}
