// /dev/mail: the development mail catcher's inbox, so a newcomer can click their confirmation link.
import { Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { MailCatcher } from "../mail/catcher.ts";
import { canonicalId } from "./params.ts";
import { privatePage } from "./private-page.ts";
import type { Views } from "./views.ts";

const idParam = z.object({ id: canonicalId });

export function devMailRouter(catcher: MailCatcher, views: Views): Router {
  const router = Router();
  // The caught emails hold confirmation and manage links: only someone on this machine may read them, whatever
  // address the server is bound to (HOST=0.0.0.0 by default, so a phone on the network can open the pages).
  router.use("/dev/mail", (req, _res, next) => next(isLoopbackClient(req) ? undefined : new AppError("not_found", "This page does not exist.")));
  router.use("/dev/mail", privatePage);
  const find = (raw: unknown) => {
    const parsed = idParam.safeParse(raw);
    const message = parsed.success ? catcher.find(parsed.data.id) : undefined;
    if (!message) throw new AppError("not_found", "No such message (the catcher keeps the last 500, in memory).");
    return message;
  };

  router.get("/dev/mail", (_req, res) => {
    res.send(views.render("dev-mail", { title: "Caught mail", messages: catcher.messages(), smtpUrl: catcher.url }));
  });

  router.get("/dev/mail/:id", (req, res) => {
    const message = find(req.params);
    res.send(views.render("dev-mail-message", { title: message.subject, message, headers: Object.entries(message.headers).map(([name, value]) => ({ name, value })) }));
  });

  // The email's own HTML, as a mail client would show it; sandboxed so its markup cannot run scripts here.
  router.get("/dev/mail/:id/html", (req, res) => {
    const message = find(req.params);
    res.set("Content-Security-Policy", "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; default-src 'none'; img-src * data:; style-src 'unsafe-inline'");
    res.type("html").send(message.html || "<p>(no HTML part)</p>");
  });

  return router;
}

/**
 * A client on this machine: the socket comes from a loopback address, and so does the client Express sees behind a
 * trusted proxy (TRUST_PROXY). A reverse proxy on this machine forwarding a remote visitor is not a local client.
 */
export function isLoopbackClient(req: { socket: { remoteAddress?: string }; ip?: string }): boolean {
  return isLoopbackAddress(req.socket.remoteAddress) && isLoopbackAddress(req.ip);
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4 === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
