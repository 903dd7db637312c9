// Per-IP limits on the endpoints that send email. In memory per process: a cheap first line; the per-address
// daily cap on confirmation emails lives in the database and holds across processes.
import type { RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";

export function subscribeRateLimit(config: Config): RequestHandler {
  if (config.limits.disabled) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: config.limits.subscribeWindowMs,
    limit: config.limits.subscribePerIp,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError("rate_limited", "Too many requests from your network. Please try again in a few minutes.")),
  });
}

/** Keyword previews cost a search each: generous for a person typing, a wall for a script. */
export function previewRateLimit(config: Config): RequestHandler {
  if (config.limits.disabled) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: 120,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError("rate_limited", "Too many requests from your network. Please try again in a minute.")),
  });
}

/** "Download my data" reads everything a reader has: a few a minute is plenty for a person. */
export function exportRateLimit(config: Config): RequestHandler {
  if (config.limits.disabled) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: 10,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError("rate_limited", "Too many downloads from your network. Please try again in a minute.")),
  });
}
