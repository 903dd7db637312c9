// The one place errors become responses: JSON under /api, a page elsewhere. Never a stack trace.
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { DatabaseWatch } from "../db/availability.ts";
import { AppError } from "../errors.ts";
import { redactPath } from "./request-log.ts";
import type { Views } from "./views.ts";

export function notFound(): RequestHandler {
  return (_req, _res, next) => next(new AppError("not_found", "This page does not exist."));
}

/** Seconds a client should wait after a 503 before trying again. */
export const RETRY_AFTER_SECONDS = 60;
export const DATABASE_UNAVAILABLE_MESSAGE = "Our database is briefly unavailable, so nothing was saved. Please try again in a minute.";

export function errorHandler(views: Views, log: (msg: string, err?: unknown) => void, database: Pick<DatabaseWatch, "report">): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // An unreachable database is an outage, not a bug: 503, and the watch logs its start and end once.
    const appError = database.report(err) ? new AppError("unavailable", DATABASE_UNAVAILABLE_MESSAGE) : toAppError(err);
    if (appError.code === "internal") log(`error on ${req.method} ${redactPath(req.path)}`, err);
    if (res.headersSent) return;
    res.status(appError.status);
    if (appError.status === 503) res.set("Retry-After", String(RETRY_AFTER_SECONDS));
    if (req.path.startsWith("/api/") || req.path === "/api") {
      res.json({ error: appError.code, message: appError.message, ...(appError.fields.length ? { fields: appError.fields } : {}) });
      return;
    }
    res.type("html").send(views.render("error", { title: headingFor(appError), heading: headingFor(appError), message: appError.message }));
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number };
  // Errors raised by body parsers (malformed JSON, too large, bad encoding) are the client's. (Multipart errors are
  // turned into AppErrors where multer runs.)
  if (e?.type === "entity.too.large") return new AppError("invalid_input", "The request is too large.", [{ field: "body", message: "too large" }]);
  if (e?.type === "entity.parse.failed") return new AppError("invalid_input", "The request body is not valid JSON.", [{ field: "body", message: "not valid JSON" }]);
  if (e?.type === "charset.unsupported" || e?.type === "encoding.unsupported") {
    return new AppError("invalid_input", "The request body's character set is not supported.", [{ field: "body", message: "send UTF-8" }]);
  }
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) {
    return new AppError("invalid_input", "The request could not be understood.", [{ field: "body", message: "could not be read" }]);
  }
  return new AppError("internal", "Something went wrong on our side. Please try again later.");
}

function headingFor(error: AppError): string {
  switch (error.code) {
    case "not_found":
      return "Not found";
    case "invalid_token":
      return "This link does not work";
    case "rate_limited":
      return "Too many requests";
    case "csrf":
      return "Please try again";
    case "invalid_input":
      return "Please check your input";
    case "unavailable":
      return "Please try again in a minute";
    default:
      return "Something went wrong";
  }
}
