// The benchmark's SMTP sink, run as its own process: accepts and discards, appending each accepted recipient to a
// log file before answering 250 (so a kill never loses an acknowledged message from the count). Optional faults:
// --fail-rate F answers "421 try again" to that fraction of messages; --proxy puts a TCP relay in front of the
// server, so that a { blackhole: ms } message can make it a black hole: connections are accepted and nothing is
// answered (nor passed on) for that long, then the connections caught in it are dropped.
import fs from "node:fs";
import net from "node:net";
import { parseArgs } from "node:util";
import { SMTPServer } from "smtp-server";

const { values } = parseArgs({
  options: { port: { type: "string" }, log: { type: "string" }, "fail-rate": { type: "string", default: "0" }, proxy: { type: "boolean", default: false } },
});
const failRate = Number(values["fail-rate"]);
const port = Number(values.port);
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

interface Relay {
  client: net.Socket;
  upstream?: net.Socket;
  blackholed: boolean;
}

/** A TCP relay to the SMTP server that can swallow everything for a while, like a network black hole. */
function startRelay(upstreamPort: number, onReady: () => void) {
  let blackholeUntil = 0;
  const relays = new Set<Relay>();
  const relay = net.createServer((client) => {
    const r: Relay = { client, blackholed: Date.now() < blackholeUntil };
    relays.add(r);
    client.on("error", () => {});
    client.on("close", () => {
      relays.delete(r);
      r.upstream?.destroy();
    });
    // Accepted, and then silence: no greeting.
    if (r.blackholed) return;
    const upstream = net.connect(upstreamPort, "127.0.0.1");
    r.upstream = upstream;
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => client.destroy());
    client.on("data", (d) => {
      if (!r.blackholed) upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (!r.blackholed) client.write(d);
    });
  });
  relay.listen(port, "127.0.0.1", onReady);
  return {
    blackhole(ms: number) {
      blackholeUntil = Date.now() + ms;
      for (const r of relays) r.blackholed = true;
      setTimeout(() => {
        // What the black hole caught is gone: the client sees its connection dropped (if it has not given up yet).
        for (const r of relays) {
          if (!r.blackholed) continue;
          r.client.destroy();
          r.upstream?.destroy();
        }
      }, ms);
    },
  };
}

let relay: ReturnType<typeof startRelay> | undefined;
if (values.proxy) {
  server.listen(0, "127.0.0.1", () => {
    relay = startRelay((server.server.address() as net.AddressInfo).port, () => process.send?.({ ready: true }));
  });
} else {
  server.listen(port, "127.0.0.1", () => process.send?.({ ready: true }));
}
process.on("message", (msg: { stats?: boolean; blackhole?: number }) => {
  if (msg.stats) process.send?.({ refused });
  if (msg.blackhole) relay?.blackhole(msg.blackhole);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
