// The Express application: middleware, one router per feature, and the one error handler.
import path from "node:path";
import express, { type Express, type Router } from "express";
import helmet from "helmet";
import { type Config, PROJECT_ROOT } from "../config.ts";
import { type DatabaseWatch, watchDatabase } from "../db/availability.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import { metricsHandler } from "../metrics/endpoint.ts";
import { measureRequests } from "../metrics/http.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { errorHandler, notFound } from "./errors.ts";
import { healthRouter, type Readiness } from "./health.ts";
import { papersRouter } from "./papers.ts";
import { requestLogging } from "./request-log.ts";
import { loadViews, type Views } from "./views.ts";

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  views?: Views;
  /** Request durations, and GET /metrics when METRICS_TOKEN is set. */
  metrics?: Metrics;
  /** The process's phase for /readyz (main.ts sets it; ready when absent). */
  readiness?: Readiness;
  /** Feature routers mounted after the built-in ones (subscriptions, digests, dev mail). */
  routers?: (views: Views, database: DatabaseWatch) => Router[];
}

// From the project root, so the compiled build (dist/src/web/) serves the same files.
const STATIC_DIR = path.join(PROJECT_ROOT, "src", "web", "static");

export function createApp(deps: AppDeps): Express {
  const { config, db, log } = deps;
  const views = deps.views ?? loadViews();
  const database = watchDatabase(db, log);
  const app = express();
  app.set("trust proxy", parseTrustProxy(config.trustProxy));
  app.disable("x-powered-by");
  app.use(requestLogging(log));
  if (deps.metrics) app.use(measureRequests(deps.metrics));
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { "form-action": ["'self'"], "upgrade-insecure-requests": config.production ? [] : null } },
      strictTransportSecurity: config.production,
    }),
  );
  app.use("/static", express.static(STATIC_DIR, { maxAge: config.production ? "1d" : 0 }));
  app.use(healthRouter(db, database, deps.readiness));
  if (deps.metrics && config.metrics.token) app.get("/metrics", metricsHandler(deps.metrics, { token: config.metrics.token, log }));
  app.use(papersRouter(db, views));
  for (const router of deps.routers?.(views, database) ?? []) app.use(router);
  app.use(notFound());
  app.use(errorHandler(views, (msg, err) => log.error({ err }, msg), database));
  return app;
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === "true") return true;
  if (value === "false" || value === "") return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
