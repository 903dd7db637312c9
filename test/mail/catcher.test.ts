import net from "node:net";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startMailCatcher } from "../../src/mail/catcher.ts";
import { createMailer } from "../../src/mail/transport.ts";

describe("the development mail catcher", () => {
  it("survives a client that resets its connection mid-message, and keeps catching mail", async () => {
    const catcher = await startMailCatcher(0);
    try {
      const port = Number(new URL(catcher.url).port);
      // A client killed mid-DATA: the socket is reset, not closed.
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.write("EHLO crash.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\nSubject: half\r\n\r\nhalf a mess");
          setTimeout(() => {
            socket.resetAndDestroy();
            resolve();
          }, 100);
        });
      });
      await new Promise((r) => setTimeout(r, 100));
      const mailer = createMailer(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }), catcher.url);
      await mailer.send({ to: "after@example.com", subject: "still here", html: "<p>x</p>", text: "x" });
      mailer.close();
      expect(catcher.messages().map((m) => m.subject)).toEqual(["still here"]);
    } finally {
      await catcher.stop();
    }
  });
});
