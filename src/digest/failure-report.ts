// Temporary send failures, visible without flooding the log: one warning when they start (with the first failure's
// digest, reader and scrubbed SMTP answer), a summary per interval while they continue (counts by class), and one
// line when none has come for a while. Addresses never reach these lines: SMTP texts are scrubbed, readers are ids.
import { type Logger, scrubAddresses } from "../log.ts";
import { FAILURE_CLASSES, type FailureClass, type SendFailure } from "./failures.ts";

export interface FailureReportOptions {
  /** How often a summary is logged while failures continue (default one minute). */
  summaryMs?: number;
  /** Failures have stopped when none came for this long (default one minute). */
  quietMs?: number;
}

export interface FailureReport {
  /** A temporary failure that will be retried (or given up on: it still counts). */
  failure(failure: SendFailure, digest: { digestId: string; subscriberId: string }): void;
  stop(): void;
}

type Counts = Record<FailureClass, number>;
const zero = (): Counts => Object.fromEntries(FAILURE_CLASSES.map((c) => [c, 0])) as Counts;
const describe = (counts: Counts) =>
  FAILURE_CLASSES.filter((c) => counts[c])
    .map((c) => `${counts[c]} ${c}`)
    .join(", ");

export function createFailureReport(log: Logger, opts: FailureReportOptions = {}): FailureReport {
  const summaryMs = opts.summaryMs ?? 60_000;
  const quietMs = opts.quietMs ?? 60_000;
  let startedAt: number | undefined;
  let interval = zero();
  let totals = zero();
  let summaryTimer: NodeJS.Timeout | undefined;
  let quietTimer: NodeJS.Timeout | undefined;

  const summarize = () => {
    const count = FAILURE_CLASSES.reduce((n, c) => n + interval[c], 0);
    if (count === 0) return;
    log.warn({ failures: interval, total: FAILURE_CLASSES.reduce((n, c) => n + totals[c], 0) }, `temporary send failures continue: ${describe(interval)} in the last ${Math.round(summaryMs / 1000)} s; retrying with backoff`);
    interval = zero();
  };
  const end = () => {
    clearInterval(summaryTimer);
    summarize();
    const total = FAILURE_CLASSES.reduce((n, c) => n + totals[c], 0);
    const seconds = Math.round((Date.now() - startedAt!) / 1000);
    log.warn({ failures: totals, total, seconds }, `temporary send failures stopped: ${total} in ${seconds} s (${describe(totals)}); none for ${Math.round(quietMs / 1000)} s`);
    startedAt = undefined;
    totals = zero();
    interval = zero();
  };

  return {
    failure(failure, digest) {
      const cls = failure.failureClass;
      if (startedAt === undefined) {
        startedAt = Date.now();
        log.warn(
          { failureClass: cls, digestId: digest.digestId, subscriberId: digest.subscriberId, smtp: scrubAddresses(failure.message) },
          `temporary send failures started (${cls}): retrying with backoff; a summary follows every ${Math.round(summaryMs / 1000)} s while they continue`,
        );
        summaryTimer = setInterval(summarize, summaryMs);
        summaryTimer.unref();
      }
      interval[cls] += 1;
      totals[cls] += 1;
      clearTimeout(quietTimer);
      quietTimer = setTimeout(end, quietMs);
      quietTimer.unref();
    },
    stop() {
      clearInterval(summaryTimer);
      clearTimeout(quietTimer);
    },
  };
}
