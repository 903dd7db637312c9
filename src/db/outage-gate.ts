// Work that has to outlive a database restart (send workers, `digest run`) goes through one gate per process. When
// a call fails because PostgreSQL cannot be reached, the gate logs one warning, and the call waits and runs again
// until it succeeds (every step of ours is safe to repeat); the first call that succeeds logs one line that the
// database is back. With `maxWaitMs`, waiting ends with DatabaseWaitExceeded for every caller (a CLI that should
// not hang forever); without it, a long-running worker waits as long as it takes.
import type { Logger } from "../log.ts";
import { isDatabaseUnavailable } from "./availability.ts";

export class DatabaseWaitExceeded extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database stayed unreachable for ${Math.round(waitedMs / 1000)} s`);
  }
}

export class OutageGateClosed extends Error {
  constructor() {
    super("stopped while waiting for the database");
  }
}

/** A wait that ended on purpose (shutdown, or a time limit): the caller stops quietly. */
export function isWaitEnded(err: unknown): boolean {
  return err instanceof DatabaseWaitExceeded || err instanceof OutageGateClosed;
}

export interface OutageGate {
  /** Runs `fn`; while the database is unreachable, waits and runs it again. Other errors pass through. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** One try: undefined (and the outage noted) when the database is unreachable. */
  attempt<T>(fn: () => Promise<T>): Promise<T | undefined>;
  /** Notes an error seen elsewhere (the queue's background work); true when it means the database is unreachable. */
  report(err: unknown): boolean;
  readonly down: boolean;
  /** Ends every wait with OutageGateClosed (shutdown). */
  close(): void;
}

export interface OutageGateOptions {
  /** Give up after the database has been unreachable this long (default: never). */
  maxWaitMs?: number;
  /** Pause between tries while down. */
  retryMs?: number;
  /** What waits, for the warning: "database unreachable: <waiting>". */
  waiting?: string;
  /** Confirms an outage that `report` heard of (a single dropped connection is no outage). */
  probe?: () => Promise<unknown>;
}

export function createOutageGate(log: Logger, opts: OutageGateOptions = {}): OutageGate {
  const retryMs = opts.retryMs ?? 1000;
  const waiting = opts.waiting ?? "waiting until it is back";
  let downSince: number | undefined;
  let gaveUp: DatabaseWaitExceeded | undefined;
  let closed = false;
  let recoveries = 0;
  const sleepers = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });

  const markDown = (err: unknown) => {
    if (downSince !== undefined) return;
    downSince = Date.now();
    log.warn({ reason: describeFailure(err) }, `database unreachable: ${waiting}`);
  };
  const markUp = () => {
    if (downSince === undefined) return;
    const seconds = (Date.now() - downSince) / 1000;
    downSince = undefined;
    recoveries += 1;
    log.warn({ outageSeconds: Number(seconds.toFixed(1)) }, `database reachable again after ${seconds.toFixed(1)} s`);
  };
  const check = () => {
    if (closed) throw new OutageGateClosed();
    if (gaveUp) throw gaveUp;
    if (downSince !== undefined && opts.maxWaitMs !== undefined && Date.now() - downSince >= opts.maxWaitMs) {
      gaveUp = new DatabaseWaitExceeded(Date.now() - downSince);
      throw gaveUp;
    }
  };

  return {
    async run(fn) {
      let failures = 0;
      let recoveriesSeen = recoveries;
      for (;;) {
        check();
        try {
          const result = await fn();
          markUp();
          return result;
        } catch (err) {
          if (!isDatabaseUnavailable(err)) throw err;
          // Back since our last failure (someone else got through): this is a first failure again.
          if (recoveries !== recoveriesSeen) failures = 0;
          recoveriesSeen = recoveries;
          failures += 1;
          // The first failure may be one dropped connection: try again at once before calling it an outage.
          if (failures > 1) markDown(err);
          await sleep(failures > 1 ? retryMs : 50);
        }
      }
    },
    async attempt(fn) {
      check();
      try {
        const result = await fn();
        markUp();
        return result;
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        markDown(err);
        return undefined;
      }
    },
    report(err) {
      if (!isDatabaseUnavailable(err)) return false;
      if (downSince !== undefined) return true;
      if (!opts.probe) markDown(err);
      else
        opts.probe().then(
          () => {},
          (probeErr) => {
            if (isDatabaseUnavailable(probeErr)) markDown(probeErr);
          },
        );
      return true;
    },
    get down() {
      return downSince !== undefined;
    },
    close() {
      closed = true;
      for (const wake of [...sleepers]) wake();
    },
  };
}

/** One line about the failure, no stack: the adapter's kind and the last line of the message. */
function describeFailure(err: unknown): string {
  const e = err as { message?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  const message = typeof e.message === "string" ? (e.message.trim().split("\n").filter(Boolean).at(-1) ?? "") : String(err);
  return [kind, message.slice(0, 200)].filter(Boolean).join(": ");
}
