// The operator dashboard, /admin: one page of charts and the suppression list. Behind HTTP basic auth (ADMIN_USER,
// ADMIN_PASSWORD); not mounted at all unless a password is configured. Removing a suppressed address is a form post
// (CSRF token and origin checks) and an audit line in the log.
import { createHash, timingSafeEqual } from "node:crypto";
import cookieParser from "cookie-parser";
import express, { type RequestHandler, Router } from "express";
import { rateLimit } from "express-rate-limit";
import { z } from "zod";
import { buildDashboard } from "../admin/dashboard.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { liftSuppression, listSuppressions } from "../subscriptions/suppression.ts";
import { hasUnsafeChars } from "../text-safety.ts";
import type { Csrf } from "./csrf.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

export interface AdminDeps {
  db: Db;
  log: Logger;
  credentials: { user: string; password: string };
  csrf: Csrf;
  now?: () => Date;
  /** RATE_LIMIT_DISABLED (benchmarks): no limit on failed logins either. */
  limitsDisabled?: boolean;
}

const SUPPRESSIONS_SHOWN = 50;
// No control characters: PostgreSQL refuses a NUL in text, and none belongs in an address.
const safeText = (max: number) => z.string().trim().max(max).refine((v) => !hasUnsafeChars(v), "control characters are not allowed");
const searchInput = z.union([z.undefined(), safeText(254)]).transform((v) => v ?? "");
const removeInput = z.object({ email: safeText(254).pipe(z.string().min(3)) });

export function adminRouter(deps: AdminDeps, views: Views): Router {
  const router = Router();
  const now = () => deps.now?.() ?? new Date();
  const form = express.urlencoded({ extended: false, limit: "4kb", parameterLimit: 10 });
  // Every request is checked, so guessing is slow: 20 failed logins per 15 minutes per address, then 429.
  const guesses: RequestHandler = deps.limitsDisabled
    ? (_req, _res, next) => next()
    : rateLimit({ windowMs: 15 * 60_000, limit: 20, skipSuccessfulRequests: true, requestWasSuccessful: (_req, res) => res.statusCode !== 401, standardHeaders: "draft-8", legacyHeaders: false });
  router.use("/admin", guesses, privatePage, basicAuth(deps.credentials), cookieParser());

  router.get("/admin", async (req, res) => {
    const query = searchInput.safeParse(req.query.q);
    if (!query.success) throw new AppError("invalid_input", "The search must be one line of text.", [{ field: "q", message: query.error.issues[0]?.message ?? "invalid" }]);
    const search = query.data;
    const [dashboard, suppressions] = await Promise.all([buildDashboard(deps.db, now()), listSuppressions(deps.db, { search, limit: SUPPRESSIONS_SHOWN })]);
    res.send(
      views.render("admin", {
        title: "Operations",
        csrfToken: deps.csrf.token(req, res),
        ...dashboard,
        search,
        suppressions: { total: suppressions.total, shown: suppressions.rows.length, rows: suppressions.rows.map((r) => ({ ...r, since: r.createdAt.toISOString().slice(0, 10) })) },
        notice: noticeFor(req.query.done),
      }),
    );
  });

  router.post("/admin/suppressions/remove", form, deps.csrf.protect, async (req, res) => {
    const parsed = removeInput.safeParse(req.body);
    if (!parsed.success) throw new AppError("invalid_input", "Say which address to remove.", [{ field: "email", message: "required" }]);
    const lifted = await liftSuppression(deps.db, parsed.data.email, now());
    // Audit: who, what and when (the line's time), never the address itself (a hash lets an auditor check one).
    deps.log.warn(
      {
        audit: "suppression.removed",
        actor: deps.credentials.user,
        ip: req.ip,
        addressSha256: createHash("sha256").update(parsed.data.email.toLowerCase()).digest("hex").slice(0, 16),
        found: Boolean(lifted),
        ...(lifted ? { reason: lifted.reason, suppressedAt: lifted.suppressedAt.toISOString(), subscribersReopened: lifted.subscribersReopened } : {}),
      },
      lifted ? "admin: an address was removed from the suppression list" : "admin: removal of an address not on the suppression list",
    );
    res.redirect(303, `/admin?done=${lifted ? "removed" : "absent"}#suppressions`);
  });

  return router;
}

function noticeFor(done: unknown): string | undefined {
  if (done === "removed") return "The address was removed from the suppression list. Its reader, if any, is unsubscribed and can subscribe again.";
  if (done === "absent") return "That address was not on the suppression list (any more).";
  return undefined;
}

/** HTTP basic auth, compared in constant time (hashes: no length leak). A browser asks for the password itself. */
function basicAuth(credentials: { user: string; password: string }): RequestHandler {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const expected = digest(`${credentials.user}:${credentials.password}`);
  return (req, res, next) => {
    const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get("authorization") ?? "")?.[1];
    const given = encoded ? Buffer.from(encoded, "base64").toString("utf8") : "";
    if (timingSafeEqual(digest(given), expected)) return next();
    res
      .status(401)
      .set("WWW-Authenticate", 'Basic realm="Trending Papers Digest operations", charset="UTF-8"')
      .type("text/plain")
      .send("Operator login required.\n");
  };
}
