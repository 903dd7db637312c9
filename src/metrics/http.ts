// HTTP request durations by route pattern. The label is the Express route (/manage/:token), never the path: paths
// carry link tokens (credentials) and every distinct path would be a new time series.
import type { Request, RequestHandler } from "express";
import type { Metrics } from "./metrics.ts";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function measureRequests(metrics: Pick<Metrics, "httpDuration">): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.once("finish", () => stop({ method: METHODS.has(req.method) ? req.method : "other", route: routePattern(req), status: String(res.statusCode) }));
    next();
  };
}

/** The matched route's pattern; static files and requests no route matched (404s) get one label each. */
export function routePattern(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route?.path !== undefined) return `${req.baseUrl}${String(route.path)}`;
  if (req.originalUrl.startsWith("/static/")) return "/static/*";
  return "unmatched";
}
