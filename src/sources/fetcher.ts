// The polite HTTP client every live source uses: says who we are (User-Agent with an operator contact), bounds
// every response in time and size, spaces requests, retries what is worth retrying (5xx, 429, network errors) with
// exponential backoff and jitter and honours Retry-After, and makes conditional requests (ETag, Last-Modified).
import type { Logger } from "../log.ts";

export interface FetcherSettings {
  userAgent: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Retries after the first attempt. */
  retries: number;
  retryBaseMs: number;
  /** A Retry-After longer than this ends the run instead of waiting (the next scheduled run tries again). */
  maxRetryAfterMs: number;
}

export interface Validators {
  etag?: string | null;
  lastModified?: string | null;
}

/** Where validators of processed responses are kept between runs (sources/validators.ts: the database). */
export interface ValidatorStore {
  get(url: string): Promise<Validators | undefined>;
  set(url: string, validators: Validators): Promise<void>;
}

export type FetchResult =
  | { status: 304; url: string }
  | {
      status: 200;
      url: string;
      body: string;
      /** Keeps this response's validators for the next conditional request; call once it has been processed. */
      remember: () => Promise<void>;
    };

/** A request that failed for good: the message names the URL and what went wrong. */
export class SourceFetchError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

class ResponseTooLarge extends Error {}

export interface FetcherOptions extends FetcherSettings {
  /** Least time between the starts of two requests of this fetcher (arXiv asks for 3 s). */
  minIntervalMs?: number;
  validators?: ValidatorStore;
  log?: Logger;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface Fetcher {
  get(url: string, opts?: { accept?: string; conditional?: boolean }): Promise<FetchResult>;
}

const MAX_BACKOFF_MS = 5 * 60_000;

export function createFetcher(opts: FetcherOptions): Fetcher {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = opts.random ?? Math.random;
  let nextStartAt = 0;

  /** Waits out the spacing between requests, then books the next slot. */
  async function pace() {
    const wait = nextStartAt - Date.now();
    if (wait > 0) await sleep(wait);
    nextStartAt = Date.now() + (opts.minIntervalMs ?? 0);
  }

  /** Exponential backoff with jitter: between half and all of base × 2^attempt, so retries spread out. */
  function backoff(attempt: number) {
    const ceiling = Math.min(MAX_BACKOFF_MS, opts.retryBaseMs * 2 ** attempt);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  return {
    async get(url, { accept = "application/json", conditional = false } = {}) {
      const known = conditional ? await opts.validators?.get(url) : undefined;
      const headers: Record<string, string> = { "user-agent": opts.userAgent, accept, "accept-encoding": "gzip, deflate, br" };
      if (known?.etag) headers["if-none-match"] = known.etag;
      if (known?.lastModified) headers["if-modified-since"] = known.lastModified;

      let lastProblem = "";
      for (let attempt = 0; attempt <= opts.retries; attempt++) {
        await pace();
        let delay: number;
        try {
          // The spacing counts again from the answer: the upstream saw this request before answering it, so the next
          // one reaches it at least the interval later, however slow this one was to arrive (a loaded machine).
          const res = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs), redirect: "follow" }).finally(() => {
            nextStartAt = Date.now() + (opts.minIntervalMs ?? 0);
          });
          if (res.status === 304 && known) return { status: 304, url };
          if (res.status === 429 || res.status >= 500) {
            await res.body?.cancel().catch(() => {});
            const asked = retryAfterMs(res.headers.get("retry-after"));
            if (asked !== undefined && asked > opts.maxRetryAfterMs) {
              throw new SourceFetchError(`${url}: HTTP ${res.status}, asked to wait ${Math.round(asked / 1000)} s (more than SOURCES_MAX_RETRY_AFTER_SECONDS); the next run tries again`, url, res.status);
            }
            lastProblem = `HTTP ${res.status}`;
            delay = asked ?? backoff(attempt);
          } else if (!res.ok) {
            await res.body?.cancel().catch(() => {});
            throw new SourceFetchError(`${url}: HTTP ${res.status} ${res.statusText}`.trim(), url, res.status);
          } else {
            const body = await readBounded(res, opts.maxResponseBytes);
            const etag = res.headers.get("etag");
            const lastModified = res.headers.get("last-modified");
            return {
              status: 200,
              url,
              body,
              remember: async () => {
                if (conditional && opts.validators && (etag || lastModified)) await opts.validators.set(url, { etag, lastModified });
              },
            };
          }
        } catch (err) {
          if (err instanceof SourceFetchError) throw err;
          if (err instanceof ResponseTooLarge) throw new SourceFetchError(`${url}: ${err.message}`, url);
          lastProblem = describeNetworkError(err, opts.timeoutMs);
          delay = backoff(attempt);
        }
        if (attempt < opts.retries) {
          opts.log?.info(`${url}: ${lastProblem}; retry ${attempt + 1} of ${opts.retries} in ${(delay / 1000).toFixed(1)} s`);
          await sleep(delay);
        }
      }
      throw new SourceFetchError(`${url}: ${lastProblem} (gave up after ${opts.retries + 1} attempts)`, url);
    },
  };
}

/** The body as text, refusing to hold more than `limit` bytes: a runaway upstream cannot fill our memory. */
async function readBounded(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new ResponseTooLarge(`response of ${declared} bytes is larger than the limit of ${limit} bytes (SOURCES_MAX_RESPONSE_MB)`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new ResponseTooLarge(`response larger than the limit of ${limit} bytes (SOURCES_MAX_RESPONSE_MB); stopped reading`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no complete answer within ${timeoutMs / 1000} s (timeout)`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `network error: ${e?.message ?? String(err)}${cause ? ` (${cause})` : ""}`;
}
