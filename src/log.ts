// Structured logs with pino: JSON lines in production (for a log pipeline), readable lines in development. Always on
// stderr, so CLI results on stdout stay clean. Fields set with withLogContext (an HTTP request's id) appear on every
// line logged inside that context, across awaits.
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import pino from "pino";

export type Logger = pino.Logger;
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "json" | "pretty";

const context = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `fn` with `fields` added to every line logged inside it (also in work it starts and awaits). */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

// Secrets and personal data never reach a log line, whichever object they travel in.
const REDACT = [
  "req.headers.cookie",
  "req.headers.authorization",
  'res.headers["set-cookie"]',
  "token",
  "*.token",
  "password",
  "*.password",
  "email",
  "*.email",
  "to",
  "*.to",
  "appSecret",
  "*.appSecret",
];

export function createLogger(level: LogLevel, opts: { format?: LogFormat; destination?: pino.DestinationStream } = {}): Logger {
  const destination = opts.destination ?? (opts.format === "pretty" ? prettyStream() : undefined) ?? pino.destination({ fd: 2, sync: true });
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: "[redacted]" },
      mixin: () => context.getStore() ?? {},
    },
    destination,
  );
}

/** pino-pretty is a development dependency: without it (a production install) the lines stay JSON. */
function prettyStream(): pino.DestinationStream | undefined {
  try {
    const pretty = createRequire(import.meta.url)("pino-pretty") as (opts: object) => pino.DestinationStream;
    return pretty({ destination: 2, sync: true, colorize: Boolean(process.stderr.isTTY), translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,req,res", singleLine: true });
  } catch {
    return undefined;
  }
}

/** Email addresses in free text (an SMTP server's answer often quotes the recipient), replaced before logging. */
export function scrubAddresses(text: string): string {
  return text.replace(/[^\s<>"'@]+@[^\s<>"']+\.[^\s<>"']+/g, "[address]");
}
