// Development mail catcher: a real SMTP server on loopback that keeps the last messages in memory for /dev/mail.
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface CaughtMessage {
  id: number;
  receivedAt: Date;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

export interface MailCatcher {
  url: string;
  messages(): CaughtMessage[];
  find(id: number): CaughtMessage | undefined;
  stop(): Promise<void>;
}

const KEEP = 500;

export async function startMailCatcher(port = 0): Promise<MailCatcher> {
  const caught: CaughtMessage[] = [];
  let nextId = 1;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const headers: Record<string, string> = {};
          for (const line of mail.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(":") + 1).trim();
          caught.unshift({
            id: nextId++,
            receivedAt: new Date(),
            from: mail.from?.text ?? session.envelope.mailFrom?.toString() ?? "",
            to: session.envelope.rcptTo.map((r) => r.address).join(", "),
            subject: mail.subject ?? "",
            html: typeof mail.html === "string" ? mail.html : "",
            text: mail.text ?? "",
            headers,
          });
          caught.length = Math.min(caught.length, KEEP);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  // After listening, socket errors (a client that vanished) must not crash the app.
  server.on("error", () => {});
  const { port: boundPort } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${boundPort}`,
    messages: () => caught,
    find: (id) => caught.find((m) => m.id === id),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
