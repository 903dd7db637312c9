// CSRF protection for every HTML form: the browser's own word on where the post came from (Sec-Fetch-Site, Origin,
// Referer), then a signed double-submit token (csrf-csrf), no server-side session needed. The RFC 8058 one-click
// unsubscribe does not go through here: mail providers post it from anywhere, and its signed URL is the authority.
import { doubleCsrf } from "csrf-csrf";
import type { Request, RequestHandler } from "express";
import { AppError } from "../errors.ts";

export interface Csrf {
  /** Puts the cookie on the response and returns the token for the form's hidden field. */
  token(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]): string;
  protect: RequestHandler;
}

export function createCsrf(secret: string, publicBaseUrl: string): Csrf {
  const secureCookies = publicBaseUrl.startsWith("https:");
  const publicOrigin = new URL(publicBaseUrl).origin;
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secret,
    // No accounts or sessions: the token is bound to its own random cookie, which other sites cannot set or read.
    getSessionIdentifier: () => "",
    cookieName: secureCookies ? "__Host-tpd.csrf" : "tpd.csrf",
    cookieOptions: { sameSite: "strict", secure: secureCookies, path: "/", httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
  });
  return {
    token: (req, res) => generateCsrfToken(req, res, { overwrite: false, validateOnReuse: false }),
    protect: (req, res, next) => {
      if (!fromOwnSite(req, publicOrigin)) {
        next(new AppError("csrf", "This form was sent from another site. Please open the page on our site and try again."));
        return;
      }
      doubleCsrfProtection(req, res, (err?: unknown) => {
        if (err) next(new AppError("csrf", "This form has expired or was sent from another site. Please reload the page and try again."));
        else next();
      });
    },
  };
}

/**
 * What the browser says about the post's origin. Sec-Fetch-Site (all current browsers) must be same-origin (or none:
 * typed by the user); an Origin, or failing that a Referer, must be our public address or the address this request
 * was sent to (a development server reached as 127.0.0.1 instead of localhost). Our pages send no referrer, so
 * browsers post their forms with `Origin: null`: that says nothing either way, and Sec-Fetch-Site decides. A client
 * that sends none of these headers is not a browser a foreign page could drive; the token check still applies.
 */
function fromOwnSite(req: Request, publicOrigin: string): boolean {
  const site = req.get("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const ownOrigins = [publicOrigin, `${req.protocol}://${req.get("host") ?? ""}`];
  const origin = req.get("origin");
  if (origin === "null") return true;
  if (origin !== undefined) return ownOrigins.includes(origin);
  const referer = req.get("referer");
  if (referer !== undefined) return ownOrigins.includes(originOf(referer));
  return true;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "invalid";
  }
}
