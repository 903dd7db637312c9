// One log line per HTTP request (pino-http), with a request id that every line the request causes carries too, and
// paths with their link tokens cut out (tokens are credentials: they must not reach logs).
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { pinoHttp } from "pino-http";
import { type Logger, withLogContext } from "../log.ts";

/** A path with every token-like segment (signed links, confirmation tokens) replaced: /manage/[token]. */
export function redactPath(url: string): string {
  const [path = "", query] = url.split("?", 2);
  const safePath = path
    .split("/")
    .map((segment) => (segment.length >= 20 && /^[A-Za-z0-9_.~%-]+$/.test(segment) ? "[token]" : segment))
    .join("/");
  return query === undefined ? safePath : `${safePath}?[query]`;
}

const requestPath = (req: { url?: string; originalUrl?: string }) => req.originalUrl ?? req.url ?? "";

const QUIET = /^\/(healthz|readyz|metrics|static\/|favicon)/;

export function requestLogging(log: Logger): RequestHandler[] {
  const http = pinoHttp({
    logger: log,
    genReqId: (req, res) => {
      const given = req.headers["x-request-id"];
      const id = typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
      res.setHeader("X-Request-Id", id);
      return id;
    },
    // The request line is written by the plain logger with the request and its id in the line's own fields: a child
    // logger bound to the id (pino-http's quietReqLogger) would write "reqId" twice, once from the binding and once
    // from the log context (below), and a log pipeline keeps one of them or rejects the line.
    quietResLogger: true,
    customSuccessObject: (req, _res, object) => ({ ...object, req, reqId: req.id }),
    autoLogging: { ignore: (req) => QUIET.test(req.url ?? "") },
    // 503 is an outage the database watch reports once; each turned-away request is a plain warning.
    customLogLevel: (_req, res, err) => (err || (res.statusCode >= 500 && res.statusCode !== 503) ? "error" : res.statusCode >= 400 ? "warn" : "info"),
    // originalUrl: middleware mounted at a path (/admin, /static) rewrites req.url to the rest of it.
    customSuccessMessage: (req, res) => `${req.method} ${redactPath(requestPath(req))} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${redactPath(requestPath(req))} ${res.statusCode}`,
    // For any 5xx pino-http invents an Error ("failed with status code 503") whose stack says nothing: a stack per
    // request during an outage. The error handler logs the real error of a 500 once.
    customErrorObject: (req, _res, err, object) => ({ ...object, req, reqId: req.id, ...(/^failed with status code \d+$/.test(err.message) ? { err: undefined } : {}) }),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: redactPath(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return [http, (req, _res, next) => withLogContext({ reqId: req.id }, next)];
}
