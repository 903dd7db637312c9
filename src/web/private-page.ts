import type { RequestHandler } from "express";

/**
 * For pages whose URL is a credential (a link token) or whose content is one reader's: no shared or browser cache
 * may keep them (a back button or a proxy would show them to the next person), no search engine index them, and
 * no referrer carry the URL to the sites they link to.
 */
export const privatePage: RequestHandler = (_req, res, next) => {
  res.set({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow" });
  next();
};
