// The benchmark's SMTP sink, run as its own process: accepts and discards, appending each accepted recipient to a
// log file before answering 250 (so a kill never loses an acknowledged message from the count). Optional faults:
// --fail-rate F answers "421 try again" to that fraction of messages.
import fs from "node:fs";
import { parseArgs } from "node:util";
import { SMTPServer } from "smtp-server";

const { values } = parseArgs({ options: { port: { type: "string" }, log: { type: "string" }, "fail-rate": { type: "string", default: "0" } } });
const failRate = Number(values["fail-rate"]);
const logFd = fs.openSync(values.log!, "a");
let refused = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  maxClients: 200,
  onData(stream, session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => {
      if (failRate > 0 && Math.random() < failRate) {
        refused += 1;
        return callback(Object.assign(new Error("Try again later"), { responseCode: 421 }));
      }
      fs.writeSync(logFd, `${session.envelope.rcptTo.map((r) => r.address).join(",")}\n`);
      callback();
    });
  },
});
// A client that vanishes (a killed app) resets its socket: an error to note, not a reason to die.
server.on("error", () => {});
server.listen(Number(values.port), "127.0.0.1", () => process.send?.({ ready: true }));
process.on("message", (msg: { stats?: boolean }) => {
  if (msg.stats) process.send?.({ refused });
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
