// The pooled Nodemailer transport, run on a thread of its own. Building and streaming a ~45 KiB digest (MIME tree,
// quoted-printable, dot-stuffing, socket writes) costs 1.3–1.6 ms of CPU; the sender's own work per digest (queue,
// claim, load, render, record, garbage) about as much again. On one thread the two added up and a process sent at
// about half the speed of Nodemailer alone; here Nodemailer has a thread to itself, exactly as when it runs alone.
// A send resolves only once the SMTP server accepted the message, and fails with Nodemailer's own error fields
// (code, responseCode, command, response), so callers see what they saw with the transport in their thread.
// The thread starts with the first message and holds the process open only while it has messages; if it dies, the
// messages it held fail (the sender retries them) and the next message starts a new one.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
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
parentPort.on("message", (msg) => {
  if (msg.close) {
    transport.close();
    parentPort.close();
    return;
  }
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
      thread.postMessage({ id, mail });
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
