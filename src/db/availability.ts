// Telling "the database is down" from every other failure, and noticing when it is back. While PostgreSQL is away
// (a restart, a failover) the web answers 503 with Retry-After instead of 500, and the log gets one warning when
// the outage starts and one when it ends instead of a stack trace per request.
import { type Logger, outsideLogContext } from "../log.ts";

/** Prisma's codes for an unreachable server, a closed connection, timeouts and an exhausted pool. */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
/** The pg driver adapter's error kinds for the same. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** PostgreSQL: connection exceptions (08…), shutting down or starting up (57P01–57P03), too many connections. */
const POSTGRES_CODES = /^(08...|57P0[123]|53300)$/;
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
const MESSAGES = /Can't reach database server|Connection terminated|timeout exceeded when trying to connect|Connection ended unexpectedly|server closed the connection/i;

/** True when `err` (or anything it wraps) says the database cannot be reached, not that a query was wrong. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 6) return false;
  const e = err as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
  if (typeof e.code === "string" && (PRISMA_CODES.has(e.code) || SOCKET_CODES.has(e.code) || POSTGRES_CODES.test(e.code))) return true;
  if (typeof e.kind === "string" && ADAPTER_KINDS.has(e.kind)) return true;
  if (e.kind === "postgres" && typeof e.code === "string" && POSTGRES_CODES.test(e.code)) return true;
  if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(e.meta?.driverAdapterError, depth + 1);
}

export interface DatabaseWatch {
  /** Records a failure; true (and an outage, if none is under way) when it means the database is unreachable. */
  report(err: unknown): boolean;
  readonly down: boolean;
  stop(): void;
}

/**
 * Outage bookkeeping for one process: the first unreachable-database error logs a warning and starts probing
 * (SELECT 1 every `probeIntervalMs`); the first probe that answers logs the end, with how long it lasted and how many
 * requests were turned away. Probing only while down: no cost in normal operation.
 */
export function watchDatabase(db: { $queryRaw: (query: TemplateStringsArray) => Promise<unknown> }, log: Logger, opts: { probeIntervalMs?: number } = {}): DatabaseWatch {
  const interval = opts.probeIntervalMs ?? 1000;
  let downSince: number | undefined;
  let turnedAway = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const scheduleProbe = () => {
    if (stopped) return;
    // The probe belongs to no request: its log line must not carry the id of the request that noticed the outage.
    timer = outsideLogContext(() => setTimeout(probe, interval));
    timer.unref();
  };
  const probe = async () => {
    try {
      await db.$queryRaw`SELECT 1`;
    } catch {
      scheduleProbe();
      return;
    }
    const seconds = ((Date.now() - downSince!) / 1000).toFixed(1);
    log.warn({ outageSeconds: Number(seconds), requestsTurnedAway: turnedAway }, `database reachable again after ${seconds} s; ${turnedAway} request(s) were answered 503`);
    downSince = undefined;
    turnedAway = 0;
  };

  return {
    report(err) {
      if (!isDatabaseUnavailable(err)) return false;
      turnedAway += 1;
      if (downSince === undefined) {
        downSince = Date.now();
        log.warn({ reason: describe(err) }, "database unreachable: answering 503 with Retry-After until it is back");
        scheduleProbe();
      }
      return true;
    },
    get down() {
      return downSince !== undefined;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** One line about the failure (no stack): the innermost message that says something. */
function describe(err: unknown): string {
  const e = err as { message?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  const message = typeof e.message === "string" ? (e.message.trim().split("\n").filter(Boolean).at(-1) ?? "") : String(err);
  return [kind, message.slice(0, 200)].filter(Boolean).join(": ");
}
