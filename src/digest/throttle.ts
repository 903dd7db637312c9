// The pace of the whole sender (one per process), AIMD like TCP: every send needs a slot. A refusal that concerns the
// whole server (421, refused or lost connections, timeouts) halves the slots, at most once per round of sends (the
// sends already under way when it halved cannot tell anything new); every success adds one back, up to the worker's
// concurrency. Below one slot there is only waiting: when nothing at all has got through for a while (a server that
// refuses everything, or is silent), a single probe goes out after a pause that doubles up to a cap, and the first
// success ends the pause. A server that still takes some messages is never paused, only narrowed.

export type SendResult = "success" | "refused" | "neutral";

export interface SendPermit {
  /** Gives the slot back; "refused" only for failures about the whole server, "neutral" for anything else. */
  release(result: SendResult): void;
}

export interface SendThrottle {
  /** Waits for a free slot (and the end of any pause), then takes up to `want` slots at once. */
  acquire(want: number): Promise<SendPermit[]>;
  /** Current number of slots and pause, for logs and tests. */
  state(): { limit: number; inFlight: number; pauseMs: number };
  /** Rejects everyone waiting (shutdown). */
  close(): void;
}

export interface ThrottleOptions {
  maxConcurrency: number;
  /** No success for this long (while refused) before pauses begin. */
  quietMs?: number;
  minPauseMs?: number;
  maxPauseMs?: number;
  now?: () => number;
}

export class ThrottleClosedError extends Error {
  constructor() {
    super("send throttle closed");
  }
}

export function createSendThrottle(opts: ThrottleOptions): SendThrottle {
  const max = Math.max(1, Math.floor(opts.maxConcurrency));
  const quietMs = opts.quietMs ?? 3_000;
  const minPauseMs = opts.minPauseMs ?? 500;
  const maxPauseMs = opts.maxPauseMs ?? 30_000;
  const now = opts.now ?? Date.now;
  let limit = max;
  let inFlight = 0;
  let round = 0;
  let lastSuccessAt = now();
  let pauseMs = 0;
  let pausedUntil = 0;
  let closed = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  const waiting: { want: number; resolve: (permits: SendPermit[]) => void; reject: (err: Error) => void }[] = [];

  const grant = (count: number): SendPermit[] => {
    inFlight += count;
    const startedIn = round;
    return Array.from({ length: count }, () => {
      let released = false;
      return {
        release(result) {
          if (released) return;
          released = true;
          inFlight -= 1;
          settle(result, startedIn);
          serve();
        },
      };
    });
  };

  const settle = (result: SendResult, startedIn: number) => {
    if (result === "success") {
      lastSuccessAt = now();
      pauseMs = 0;
      pausedUntil = 0;
      limit = Math.min(max, limit + 1);
    } else if (result === "refused") {
      if (startedIn === round) {
        limit = Math.max(1, Math.floor(limit / 2));
        round += 1;
      }
      if (limit === 1 && now() - lastSuccessAt >= quietMs) {
        pauseMs = pauseMs ? Math.min(maxPauseMs, pauseMs * 2) : minPauseMs;
        pausedUntil = now() + pauseMs;
      }
    }
  };

  const serve = () => {
    if (closed) return;
    while (waiting.length) {
      const wait = pausedUntil - now();
      if (wait > 0) {
        clearTimeout(wakeTimer);
        wakeTimer = setTimeout(serve, wait);
        wakeTimer.unref?.();
        return;
      }
      // While probing (paused before), one send at a time until one succeeds.
      const free = (pauseMs > 0 ? 1 : limit) - inFlight;
      if (free <= 0) return;
      const next = waiting.shift()!;
      next.resolve(grant(Math.max(1, Math.min(next.want, free))));
    }
  };

  return {
    acquire(want) {
      if (closed) return Promise.reject(new ThrottleClosedError());
      return new Promise((resolve, reject) => {
        waiting.push({ want: Math.max(1, want), resolve, reject });
        serve();
      });
    },
    state: () => ({ limit, inFlight, pauseMs }),
    close() {
      closed = true;
      clearTimeout(wakeTimer);
      for (const w of waiting.splice(0)) w.reject(new ThrottleClosedError());
    },
  };
}
