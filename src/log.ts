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

/** Runs `fn`, and the work it starts, outside any log context (a background timer started while serving a request). */
export function outsideLogContext<T>(fn: () => T): T {
  return context.exit(fn);
}

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
      // A copy: pino merges each line's fields into the mixin's object, which would otherwise be the context itself
      // and carry one line's fields (an err, a res) into every later line of the same request.
      mixin: () => ({ ...context.getStore() }),
      // Link tokens are credentials. Whatever carries one (a message, an error's message or stack, a field), it is
      // cut out before the line is written.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === "string" ? scrubTokens(arg) : arg)) as Parameters<typeof method>);
        },
      },
      formatters: { log: (object) => scrubFields(object, 0) as Record<string, unknown> },
      serializers: { err: scrubbedError },
    },
    destination,
  );
}

// Signed links (<id>.<day>.<mac>, and the older <id>.<mac>), 43-character confirmation tokens, and any path segment
// after a tokened route, even one too mangled to match the shapes.
const SIGNED_TOKEN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{22}(?:\.[A-Za-z0-9_-]{4})?\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
const CONFIRMATION_TOKEN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
const TOKEN_ROUTE = /(\/(?:confirm|manage|unsubscribe|digests)\/)[^/\s?#"'<>]+/g;

// The password in a connection string (smtp://user:pass@host, postgresql://…) that an error message quotes.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;

/** Text with every link token replaced by "[token]", and passwords in URLs by "[redacted]". */
export function scrubTokens(text: string): string {
  return text
    .replace(URL_PASSWORD, "$1[redacted]@")
    .replace(TOKEN_ROUTE, "$1[token]")
    .replace(SIGNED_TOKEN, "[token]")
    .replace(CONFIRMATION_TOKEN, "[token]");
}

function scrubbedError(err: Error) {
  const serialized = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(serialized)) serialized[key] = scrubFields(value, 1);
  return serialized;
}

/** Strings in plain objects and arrays scrubbed; other objects (a request, a response) are left to their serializers. */
function scrubFields(value: unknown, depth: number): unknown {
  if (typeof value === "string") return scrubTokens(value);
  if (depth > 5 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubFields(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = scrubFields(v, depth + 1);
  return out;
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
