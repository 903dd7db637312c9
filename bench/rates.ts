// How a send run's rate is read, the same way for the ceiling and the app: from the moment sending was asked for and
// the instants the SMTP server accepted each message. Start-up (connections, first queue fetch, first claim) shows in
// the time to first send; the steady rate is read between the 10th and the 90th percentile of acceptances, so neither
// the start nor the tail of the last batch hides in it.

export interface SendTimeline {
  /** Epoch ms when sending was asked for. */
  startedAt: number;
  /** Epoch ms of each accepted message (any order). */
  acceptedAt: number[];
}

export interface SendRates {
  messages: number;
  /** From the request to send to the first accepted message. */
  firstSendMs: number;
  /** Messages per second between the 10th and 90th percentile of acceptances. */
  steadyPerSecond: number;
  /** Messages per second from the request to send to the last accepted message. */
  overallPerSecond: number;
  seconds: number;
}

export function sendRates(t: SendTimeline): SendRates {
  const times = Float64Array.from(t.acceptedAt).sort();
  const n = times.length;
  if (n === 0) return { messages: 0, firstSendMs: NaN, steadyPerSecond: NaN, overallPerSecond: NaN, seconds: NaN };
  const lo = Math.floor(n * 0.1);
  const hi = Math.max(lo + 1, Math.min(n - 1, Math.floor(n * 0.9)));
  const seconds = (times[n - 1]! - t.startedAt) / 1000;
  return {
    messages: n,
    firstSendMs: times[0]! - t.startedAt,
    steadyPerSecond: (hi - lo) / ((times[hi]! - times[lo]!) / 1000),
    overallPerSecond: n / seconds,
    seconds,
  };
}

/** Median and range (min–max) of a set of runs' figures. */
export function summarize(values: number[]) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const epochMs = () => performance.timeOrigin + performance.now();
