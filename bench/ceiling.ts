// The raw SMTP ceiling: stock Nodemailer's pooled transport sending real rendered digests of the bench's population
// (each with its HTML, text, subject, Message-ID and list headers, so the same sizes and the same MIME output as the
// app's; a sample of them in turn) to the sink, with nothing else going on in the process. By default it is given each
// body as a plain Nodemailer program gives it (UTF-8 bytes, quoted-printable said outright) and does all of
// Nodemailer's work per message on one thread. BENCH_CEILING_FORM=parts gives it each body as the finished MIME part
// the app's mail thread gets (quoted-printable done once here, beforehand): the SMTP path alone, a far higher bar.
// Prints {"startedAt","acceptedAt":[...],"cpuMs"} as JSON (epoch ms; bench/rates.ts reads them).
import fs from "node:fs";
import { parseArgs } from "node:util";
import nodemailer from "nodemailer";
import { mimePart } from "../src/mail/mail-thread.ts";
import { epochMs } from "./rates.ts";

const { values } = parseArgs({ options: { url: { type: "string" }, count: { type: "string" }, pool: { type: "string" }, concurrency: { type: "string" }, messages: { type: "string" } } });
const transport = nodemailer.createTransport({ url: values.url, pool: true, maxConnections: Number(values.pool), maxMessages: 1000 });
// Converted once here: the ceiling does no work per message beyond Nodemailer's.
const body = (text: string) => ({ content: Buffer.from(text), contentTransferEncoding: "quoted-printable" as const });
const part = (type: string, text: string) => ({ raw: Buffer.from(mimePart(`${type}; charset=utf-8`, text)) });
const messages = (JSON.parse(fs.readFileSync(values.messages!, "utf8")) as { subject: string; html: string; text: string; messageId: string; headers: Record<string, string> }[]).map(
  (m) => (process.env.BENCH_CEILING_FORM === "parts" ? { ...m, html: part("text/html", m.html), text: part("text/plain", m.text) } : { ...m, html: body(m.html), text: body(m.text) }),
);
const count = Number(values.count);
const acceptedAt = new Float64Array(count);
const cpu = process.cpuUsage();
const startedAt = epochMs();
let next = 0;
// The same number of sends in flight as the app's worker.
await Promise.all(
  Array.from({ length: Number(values.concurrency) }, async () => {
    while (next < count) {
      const i = next++;
      await transport.sendMail({ from: "Trending Papers Digest <digest@digest.example.com>", to: `ceiling${i}@bench.example.com`, ...messages[i % messages.length]! });
      acceptedAt[i] = epochMs();
    }
  }),
);
const used = process.cpuUsage(cpu);
transport.close();
console.log(JSON.stringify({ startedAt, acceptedAt: Array.from(acceptedAt), cpuMs: (used.user + used.system) / 1000 }));
