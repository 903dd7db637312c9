// The pooled Nodemailer transport, run on a thread of its own. Building and streaming a ~45 KiB digest (MIME tree,
// quoted-printable, dot-stuffing, socket writes) costs ~1 ms of CPU, more than the sender's own work per digest
// (queue, claim, load, render, record, garbage: 0.3 ms). On one thread the two added up; here Nodemailer has a thread
// to itself. The part of its work that is a plain function of each body, quoted-printable encoding, is done here on
// the sender's thread, with Nodemailer's own encoder called once per body (~0.25 ms); each body reaches the thread as
// a finished MIME part (Nodemailer's `raw` for an alternative). Streamed through Nodemailer's encoder instead, that
// encoding was nearly half of the thread's ~1 ms per message and made the thread the limit (README, "Scale").
// A send resolves only once the SMTP server accepted the message, and fails with Nodemailer's own error fields
// (code, responseCode, command, response), so callers see what they saw with the transport in their thread.
// The thread starts with the first message and holds the process open only while it has messages; if it dies, the
// messages it held fail (the sender retries them) and the next message starts a new one.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { encode as quotedPrintable, wrap } from "nodemailer/lib/qp";
import type { SentMessage } from "./transport.ts";

export interface MailThread {
  send(mail: Record<string, unknown>): Promise<SentMessage>;
  close(): void;
}

// Plain CommonJS evaluated in the thread: no TypeScript loader is needed there (tsx, vitest).
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const nodemailer = require(workerData.nodemailer);
const transport = nodemailer.createTransport(workerData.options);
const FIELDS = ["name", "code", "responseCode", "command", "response", "errno", "syscall"];
// Errors cross to the sender as their fields only (below), never with a stack: stack traces here are pure cost, and
// Node's stream pipelines create (and capture a stack for) an AbortError for every message they finish.
Error.stackTraceLimit = 0;
parentPort.on("message", (msg) => {
  if (msg.close) {
    transport.close();
    parentPort.close();
    return;
  }
  // The bodies arrive as finished MIME parts (headers and quoted-printable body, ASCII bytes): Nodemailer puts them in
  // the message as they are.
  for (const [key, bytes] of Object.entries(msg.bodies)) msg.mail[key] = { raw: Buffer.from(bytes) };
  transport.sendMail(msg.mail).then(
    (info) => parentPort.postMessage({ id: msg.id, messageId: info.messageId, response: String(info.response == null ? "" : info.response) }),
    (err) => {
      const error = { message: String((err && err.message) || err) };
      for (const f of FIELDS) if (err && err[f] !== undefined) error[f] = err[f];
      parentPort.postMessage({ id: msg.id, error });
    },
  );
});
`;

type Reply = { id: number; messageId?: string; response?: string; error?: Record<string, unknown> & { message: string } };

/** `options`: Nodemailer transport options (plain data: they are copied to the thread). */
export function startMailThread(options: Record<string, unknown>): MailThread {
  const nodemailer = createRequire(import.meta.url).resolve("nodemailer");
  let thread: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (sent: SentMessage) => void; reject: (err: Error) => void }>();

  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = () => {
    const w = new Worker(THREAD_SOURCE, { eval: true, workerData: { nodemailer, options } });
    w.on("message", (reply: Reply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.error) p.reject(Object.assign(new Error(reply.error.message), reply.error));
      else p.resolve({ messageId: reply.messageId!, response: reply.response! });
    });
    const gone = (err: Error) => {
      if (thread === w) thread = undefined;
      failAll(err);
    };
    w.on("error", gone);
    w.on("exit", (code) => gone(new Error(`the mail thread stopped (exit code ${code})`)));
    return w;
  };

  return {
    send(mail) {
      thread ??= start();
      const id = nextId++;
      const sent = new Promise<SentMessage>((resolve, reject) => pending.set(id, { resolve, reject }));
      thread.ref(); // while it holds messages, the thread keeps the process alive
      // The HTML and text bodies travel as finished MIME parts whose memory moves to the thread (not copied): as strings,
      // the ~100 messages in flight were ~8 MB of live strings that each of the thread's minor collections copied again.
      const { html, text, ...rest } = mail;
      const bodies: Record<string, ArrayBuffer> = {};
      const message: Record<string, unknown> = rest;
      // (An empty body stays as it is: Nodemailer leaves that part out.)
      if (typeof html === "string" && html) bodies.html = mimePart("text/html; charset=utf-8", html);
      else if (html !== undefined) message.html = html;
      if (typeof text === "string" && text) bodies.text = mimePart("text/plain; charset=utf-8", text);
      else if (text !== undefined) message.text = text;
      thread.postMessage({ id, mail: message, bodies }, Object.values(bodies));
      return sent;
    },
    close() {
      // Lets the messages already handed over finish, as the transport's own close() did.
      thread?.postMessage({ close: true });
      thread?.unref();
      thread = undefined;
    },
  };
}

/**
 * A text body as the MIME part Nodemailer would make of it: quoted-printable (as it picks for text that is mostly Latin
 * letters, every email of ours), soft line breaks at 76 characters, line ends as written (the SMTP stream makes them
 * CRLF). ASCII bytes in an ArrayBuffer of their own (a pooled Buffer's could not be handed over alone).
 */
export function mimePart(contentType: string, body: string): ArrayBuffer {
  const part = `Content-Type: ${contentType}\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${wrap(quotedPrintable(Buffer.from(body)), 76)}`;
  const bytes = Buffer.allocUnsafeSlow(part.length);
  bytes.write(part, "latin1");
  return bytes.buffer as ArrayBuffer;
}
