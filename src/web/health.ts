import { Router } from "express";
import type { DatabaseWatch } from "../db/availability.ts";
import type { Db } from "../db/client.ts";
import { RETRY_AFTER_SECONDS } from "./errors.ts";

/** Liveness that means something: 200 only when the database answers. */
export function healthRouter(db: Db, database: Pick<DatabaseWatch, "report">): Router {
  const router = Router();
  router.get("/healthz", async (_req, res) => {
    try {
      await db.$queryRaw`SELECT 1`;
      res.json({ status: "ok", database: "ok" });
    } catch (err) {
      database.report(err);
      res.status(503).set("Retry-After", String(RETRY_AFTER_SECONDS)).json({ status: "unavailable", database: "unreachable" });
    }
  });
  return router;
}
