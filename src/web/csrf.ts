// CSRF protection for every HTML form: a signed double-submit token (csrf-csrf), no server-side session needed.
import { doubleCsrf } from "csrf-csrf";
import type { RequestHandler } from "express";
import { AppError } from "../errors.ts";

export interface Csrf {
  /** Puts the cookie on the response and returns the token for the form's hidden field. */
  token(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]): string;
  protect: RequestHandler;
}

export function createCsrf(secret: string, secureCookies: boolean): Csrf {
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
    protect: (req, res, next) =>
      doubleCsrfProtection(req, res, (err?: unknown) => {
        if (err) next(new AppError("csrf", "This form has expired or was sent from another site. Please reload the page and try again."));
        else next();
      }),
  };
}
