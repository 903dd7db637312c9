// Composition root: builds the web application from its parts. Used by `npm start` and by the tests.
import type { Express } from "express";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import type { Logger } from "./log.ts";
import type { MailCatcher } from "./mail/catcher.ts";
import type { EmailTemplates } from "./mail/templates.ts";
import type { Mailer } from "./mail/transport.ts";
import type { Metrics } from "./metrics/metrics.ts";
import type { SubscriptionDeps } from "./subscriptions/deps.ts";
import { matchPreviewer } from "./topics/preview.ts";
import { adminRouter } from "./web/admin.ts";
import { apiRouter } from "./web/api.ts";
import { createApp } from "./web/app.ts";
import { createCsrf } from "./web/csrf.ts";
import { devMailRouter } from "./web/dev-mail.ts";
import { digestPagesRouter } from "./web/digests.ts";
import { feedbackRouter } from "./web/feedback.ts";
import { feedsRouter } from "./web/feeds.ts";
import type { Readiness } from "./web/health.ts";
import { exportRateLimit, previewRateLimit, subscribeRateLimit } from "./web/limits.ts";
import { manageRouter } from "./web/manage.ts";
import { readerDataRouter } from "./web/reader-data.ts";
import { subscriptionPagesRouter } from "./web/subscriptions.ts";
import { unsubscribeRouter } from "./web/unsubscribe.ts";

export interface ServiceParts {
  config: Config;
  db: Db;
  log: Logger;
  mailer: Mailer;
  emails: EmailTemplates;
  appSecret: string;
  catcher?: MailCatcher;
  now?: () => Date;
  /** Operations: Prometheus metrics and the phase /readyz reports (main.ts passes both). */
  metrics?: Metrics;
  readiness?: Readiness;
}

export function subscriptionDeps(parts: ServiceParts): SubscriptionDeps {
  return {
    db: parts.db,
    mailer: parts.mailer,
    emails: parts.emails,
    links: { publicBaseUrl: parts.config.publicBaseUrl, appSecret: parts.appSecret },
    postalAddress: parts.config.mail.postalAddress,
    confirmationEmailsPerDay: parts.config.limits.confirmationEmailsPerDay,
    log: parts.log,
    now: parts.now,
  };
}

export function buildApp(parts: ServiceParts): Express {
  const { config } = parts;
  const deps = subscriptionDeps(parts);
  const csrf = createCsrf(parts.appSecret, config.publicBaseUrl);
  // One limiter for the form and the API: they are two doors to the same action.
  const subscribeLimit = subscribeRateLimit(config);
  const preview = matchPreviewer(parts.db);
  return createApp({
    config,
    db: parts.db,
    log: parts.log,
    metrics: parts.metrics,
    readiness: parts.readiness,
    routers: (views, database) => [
      apiRouter(deps, subscribeLimit, preview, previewRateLimit(config)),
      subscriptionPagesRouter(deps, views, csrf, subscribeLimit, preview, database),
      manageRouter(deps, views, csrf, subscribeLimit, preview),
      unsubscribeRouter(deps, views, csrf, subscribeLimit),
      digestPagesRouter(parts.db, { appSecret: parts.appSecret, publicBaseUrl: config.publicBaseUrl }, views, parts.now),
      feedbackRouter({ db: parts.db, appSecret: parts.appSecret, publicBaseUrl: config.publicBaseUrl }, views, csrf),
      feedsRouter(parts.db, { appSecret: parts.appSecret, publicBaseUrl: config.publicBaseUrl }),
      readerDataRouter({ db: parts.db, links: deps.links, now: parts.now }, views, exportRateLimit(config)),
      ...(parts.catcher && !config.production ? [devMailRouter(parts.catcher, views)] : []),
      ...(config.admin ? [adminRouter({ db: parts.db, log: parts.log, credentials: config.admin, csrf, now: parts.now, limitsDisabled: config.limits.disabled }, views)] : []),
    ],
  });
}
