// Liveness and readiness, for a load balancer or an orchestrator. /healthz: the process answers (restart it if not).
// /readyz: it can serve now (send it traffic): started, migrations done, database reachable, not stopping.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Router } from "express";
import type { DatabaseWatch } from "../db/availability.ts";
import type { Db } from "../db/client.ts";
import { RETRY_AFTER_SECONDS } from "./errors.ts";

export type Phase = "starting" | "migrating" | "ready" | "stopping";

/** The process's phase, set by whoever starts and stops it (main.ts); tests and the CLI have no phases: ready. */
export interface Readiness {
  readonly phase: Phase;
  set(phase: Phase): void;
}

export function createReadiness(initial: Phase = "ready"): Readiness {
  let phase = initial;
  return {
    get phase() {
      return phase;
    },
    set(next) {
      phase = next;
    },
  };
}

export function healthRouter(db: Db, database: Pick<DatabaseWatch, "report">, readiness: Readiness = createReadiness()): Router {
  const router = Router();
  // Liveness says nothing about the database: restarting the app does not bring PostgreSQL back.
  router.get("/healthz", (_req, res) => {
    res.set("Cache-Control", "no-store").json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    res.set("Cache-Control", "no-store");
    if (readiness.phase !== "ready") {
      res.status(503).set("Retry-After", "5").json({ status: readiness.phase });
      return;
    }
    try {
      await db.$queryRaw`SELECT 1`;
      res.json({ status: "ready", database: "ok" });
    } catch (err) {
      database.report(err);
      res.status(503).set("Retry-After", String(RETRY_AFTER_SECONDS)).json({ status: "unavailable", database: "unreachable" });
    }
  });
  return router;
}

/**
 * What the HTTP port answers before the app is built (the database starting, migrations running): alive, not ready,
 * and 503 for everything else. Listening this early lets a liveness probe pass during a long migration.
 */
export function startupResponder(readiness: Readiness) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    const json = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers }).end(JSON.stringify(body));
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") return json(503, { status: readiness.phase }, { "Retry-After": "5" });
    res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "5" }).end("Starting up; please try again in a few seconds.\n");
  };
}
