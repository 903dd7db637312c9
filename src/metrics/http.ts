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

/**
 * The matched route's pattern; a request answered by middleware mounted at a path (a static file, /admin's login
 * check) gets that path with /*, and one no route matched (a 404) "unmatched".
 */
export function routePattern(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route?.path !== undefined) return `${req.baseUrl}${String(route.path)}`;
  if (req.baseUrl) return `${req.baseUrl}/*`;
  return "unmatched";
}
