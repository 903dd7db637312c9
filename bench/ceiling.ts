// The raw SMTP ceiling: Nodemailer's pooled transport sending messages of the digest's size to the sink, with
// nothing else going on in the process. Prints {"messages","seconds","perSecond"} as JSON.
import { parseArgs } from "node:util";
import nodemailer from "nodemailer";

const { values } = parseArgs({ options: { url: { type: "string" }, count: { type: "string" }, pool: { type: "string" }, size: { type: "string" } } });
const transport = nodemailer.createTransport({ url: values.url, pool: true, maxConnections: Number(values.pool), maxMessages: 1000 });
const html = `<p>${"x".repeat(Math.max(0, Number(values.size) - 2000))}</p>`;
const text = "y".repeat(1500);
const count = Number(values.count);
const started = performance.now();
let next = 0;
// Same shape of concurrency as the worker: a bounded number of sends in flight.
await Promise.all(
  Array.from({ length: Number(values.pool) * 4 }, async () => {
    while (next < count) {
      const i = next++;
      await transport.sendMail({ from: "bench@localhost", to: `ceiling${i}@example.com`, subject: `Ceiling ${i}`, html, text });
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
transport.close();
console.log(JSON.stringify({ messages: count, seconds, perSecond: count / seconds }));
