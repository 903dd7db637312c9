import { Router } from "express";
import type { Db } from "../db/client.ts";

/** Liveness that means something: 200 only when the database answers. */
export function healthRouter(db: Db): Router {
  const router = Router();
  router.get("/healthz", async (_req, res) => {
    try {
      await db.$queryRaw`SELECT 1`;
      res.json({ status: "ok", database: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable", database: "unreachable" });
    }
  });
  return router;
}
