// A real SMTP server inside the test process. Tests read the messages that actually arrived, parsed by mailparser,
// and can make the server answer with temporary or permanent failures.
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: ParsedMail["headers"];
  raw: string;
}

export interface SmtpSink {
  url: string;
  received: ReceivedMail[];
  /** Return an SMTP error (e.g. { code: 421 } or { code: 550 }) to refuse a message, or undefined to accept it. */
  failWith?: (to: string) => { code: number; message: string } | undefined;
  /** Like failWith, but refuses after the message data (a 5xx that is not about the recipient). */
  failDataWith?: (to: string) => { code: number; message: string } | undefined;
  /** Milliseconds the server waits before accepting each message (a slow server). */
  delayMs: number;
  /** Waits until `count` messages arrived (to `to` only, when given) and returns them. */
  waitFor(count: number, to?: string, timeoutMs?: number): Promise<ReceivedMail[]>;
  to(address: string): ReceivedMail[];
  clear(): void;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sink: SmtpSink = {
    url: "",
    received: [],
    delayMs: 0,
    async waitFor(count, to, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const matching = () => (to ? sink.to(to) : sink.received);
      while (matching().length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} email(s)${to ? ` to ${to}` : ""}, got ${matching().length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return matching();
    },
    to: (address) => sink.received.filter((m) => m.to === address),
    clear: () => {
      sink.received.length = 0;
    },
    stop: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      const failure = sink.failWith?.(address.address);
      if (failure) return callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        if (sink.delayMs) await new Promise((r) => setTimeout(r, sink.delayMs));
        const refusal = sink.failDataWith?.(session.envelope.rcptTo.map((r) => r.address).join(","));
        if (refusal) return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
        const raw = Buffer.concat(chunks).toString("utf8");
        const mail = await simpleParser(raw);
        sink.received.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(","),
          subject: mail.subject ?? "",
          html: typeof mail.html === "string" ? mail.html : "",
          text: mail.text ?? "",
          headers: mail.headers,
          raw,
        });
        callback();
      });
    },
  });
  // A client that vanishes (a killed process) resets its socket: not a reason to crash the test process.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  sink.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  sink.stop = () => new Promise((resolve) => server.close(() => resolve()));
  return sink;
}

/** The first link in an email's HTML whose path starts with `prefix` (e.g. "/confirm/"). */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const match = [...mail.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, "&").replace(/&#x3D;/g, "=")).find((href) => new URL(href).pathname.startsWith(prefix));
  if (!match) throw new Error(`no ${prefix} link in email "${mail.subject}"`);
  return match;
}
