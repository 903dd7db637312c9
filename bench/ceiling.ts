// The raw SMTP ceiling: Nodemailer's pooled transport sending a real rendered digest (same HTML and text, so the
// same size and the same MIME encoding work) to the sink, with nothing else going on in the process.
// Prints {"messages","seconds","perSecond"} as JSON.
import fs from "node:fs";
import { parseArgs } from "node:util";
import nodemailer from "nodemailer";

const { values } = parseArgs({ options: { url: { type: "string" }, count: { type: "string" }, pool: { type: "string" }, concurrency: { type: "string" }, html: { type: "string" }, text: { type: "string" } } });
const transport = nodemailer.createTransport({ url: values.url, pool: true, maxConnections: Number(values.pool), maxMessages: 1000 });
const html = fs.readFileSync(values.html!, "utf8");
const text = fs.readFileSync(values.text!, "utf8");
const count = Number(values.count);
const started = performance.now();
let next = 0;
// The same number of sends in flight as the app's worker.
await Promise.all(
  Array.from({ length: Number(values.concurrency) }, async () => {
    while (next < count) {
      const i = next++;
      await transport.sendMail({ from: "Trending Papers Digest <digest@example.com>", to: `ceiling${i}@example.com`, subject: `5 new papers: Reasoning — Tue 24 Nov`, html, text });
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
transport.close();
console.log(JSON.stringify({ messages: count, seconds, perSecond: count / seconds }));
