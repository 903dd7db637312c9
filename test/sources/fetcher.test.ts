// The polite fetcher against a local fixture server: what it sends, and how it survives what upstreams do.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFetcher, type FetcherOptions, type Validators } from "../../src/sources/fetcher.ts";
import { type FixtureServer, startFixtureServer } from "../support/fixture-server.ts";
import { readFixture } from "../support/upstream.ts";

let upstream: FixtureServer;
beforeAll(async () => {
  upstream = await startFixtureServer();
});
afterAll(async () => {
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
  upstream.endlessBytesSent = 0;
});

const BODY = readFixture("hf-daily-papers.json");
const settings = (extra: Partial<FetcherOptions> = {}): FetcherOptions => ({
  userAgent: "TrendingPapersDigest/0.1 (+https://digest.example.org; mailto:ops@digest.example.org)",
  timeoutMs: 2000,
  maxResponseBytes: 1024 * 1024,
  retries: 3,
  retryBaseMs: 20,
  maxRetryAfterMs: 10_000,
  ...extra,
});
/** Answers from a list, one per request; the last one repeats. */
function replies(...list: Parameters<FixtureServer["handle"]>[0][]) {
  let i = 0;
  upstream.handle((req) => list[Math.min(i++, list.length - 1)]!(req));
}

describe("the polite fetcher", () => {
  it("names the service and the operator contact in its User-Agent and asks for the format it wants", async () => {
    replies(() => ({ body: BODY }));
    const result = await createFetcher(settings()).get(`${upstream.url}/api/daily_papers?date=2026-11-24`);
    expect(result).toMatchObject({ status: 200, body: BODY });
    expect(upstream.requests[0]!.headers["user-agent"]).toBe("TrendingPapersDigest/0.1 (+https://digest.example.org; mailto:ops@digest.example.org)");
    expect(upstream.requests[0]!.headers.accept).toBe("application/json");
  });

  it("retries 500s with growing, jittered delays and succeeds when the upstream recovers", async () => {
    replies(
      () => ({ status: 500, body: "oops" }),
      () => ({ status: 503 }),
      () => ({ body: BODY }),
    );
    const delays: number[] = [];
    const fetcher = createFetcher(settings({ retryBaseMs: 100, sleep: async (ms) => void delays.push(ms), random: () => 0.5 }));
    expect(await fetcher.get(`${upstream.url}/x`)).toMatchObject({ status: 200 });
    expect(upstream.requests).toHaveLength(3);
    // base × 2^attempt, between half and all of it (here: random 0.5 → three quarters).
    expect(delays).toEqual([75, 150]);
  });

  it("gives up after its retries with a message naming the URL and the last answer", async () => {
    replies(() => ({ status: 500 }));
    await expect(createFetcher(settings({ retries: 2 })).get(`${upstream.url}/down`)).rejects.toThrow(`${upstream.url}/down: HTTP 500 (gave up after 3 attempts)`);
    expect(upstream.requests).toHaveLength(3);
  });

  it("does not retry a 404 (nothing will change by asking again)", async () => {
    replies(() => ({ status: 404 }));
    await expect(createFetcher(settings()).get(`${upstream.url}/nope`)).rejects.toThrow(/HTTP 404/);
    expect(upstream.requests).toHaveLength(1);
  });

  it("waits as long as a 429's Retry-After says before asking again", async () => {
    replies(
      () => ({ status: 429, headers: { "retry-after": "1" } }),
      () => ({ body: BODY }),
    );
    expect(await createFetcher(settings()).get(`${upstream.url}/busy`)).toMatchObject({ status: 200 });
    const [first, second] = upstream.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
  });

  it("ends the run at once when Retry-After asks for longer than it may wait", async () => {
    replies(() => ({ status: 429, headers: { "retry-after": "3600" } }));
    await expect(createFetcher(settings({ maxRetryAfterMs: 60_000 })).get(`${upstream.url}/later`)).rejects.toThrow(/HTTP 429, asked to wait 3600 s .*the next run tries again/);
    expect(upstream.requests).toHaveLength(1);
  });

  it("times out an upstream that never answers, retries, then gives up", async () => {
    replies(() => ({ hang: true }));
    const started = Date.now();
    await expect(createFetcher(settings({ timeoutMs: 300, retries: 1 })).get(`${upstream.url}/silent`)).rejects.toThrow(/no complete answer within 0\.3 s \(timeout\) \(gave up after 2 attempts\)/);
    expect(upstream.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("times out a body that stalls halfway", async () => {
    replies(() => ({ body: BODY, stallAfterBytes: 300 }));
    await expect(createFetcher(settings({ timeoutMs: 300, retries: 0 })).get(`${upstream.url}/stall`)).rejects.toThrow(/no complete answer within 0\.3 s \(timeout\)/);
  });

  it("retries a connection cut in the middle of the body", async () => {
    replies(
      () => ({ body: BODY, cutAfterBytes: 200 }),
      () => ({ body: BODY }),
    );
    const result = await createFetcher(settings()).get(`${upstream.url}/cut`);
    expect(result).toMatchObject({ status: 200, body: BODY });
    expect(upstream.requests).toHaveLength(2);
  });

  it("refuses a huge response without holding it: stops reading at the limit, and never retries it", async () => {
    replies(() => ({ endless: Buffer.alloc(64 * 1024, "[") }));
    await expect(createFetcher(settings({ maxResponseBytes: 1024 * 1024 })).get(`${upstream.url}/huge`)).rejects.toThrow(/response larger than the limit of 1048576 bytes \(SOURCES_MAX_RESPONSE_MB\); stopped reading/);
    expect(upstream.requests).toHaveLength(1);
    // What the server managed to push before we hung up: the limit plus socket buffers, nowhere near endless.
    await new Promise((r) => setTimeout(r, 100));
    expect(upstream.endlessBytesSent).toBeGreaterThan(1024 * 1024);
    expect(upstream.endlessBytesSent).toBeLessThan(8 * 1024 * 1024);
    replies(() => ({ body: "x".repeat(2 * 1024 * 1024) }));
    await expect(createFetcher(settings({ maxResponseBytes: 1024 * 1024 })).get(`${upstream.url}/declared`)).rejects.toThrow(/response of 2097152 bytes is larger than the limit/);
  });

  it("makes conditional requests with the validators of the last processed response, and reports 304", async () => {
    const kept = new Map<string, Validators>();
    const validators = { get: async (url: string) => kept.get(url), set: async (url: string, v: Validators) => void kept.set(url, v) };
    const fetcher = createFetcher(settings({ validators }));
    const url = `${upstream.url}/daily`;
    upstream.handle((req) =>
      req.headers["if-none-match"] === '"v1"' ? { status: 304 } : { body: BODY, headers: { etag: '"v1"', "last-modified": "Tue, 24 Nov 2026 10:00:00 GMT" } },
    );
    const first = await fetcher.get(url, { conditional: true });
    expect(first.status).toBe(200);
    // Not processed yet (e.g. the run failed): the next request is unconditional.
    expect((await fetcher.get(url, { conditional: true })).status).toBe(200);
    if (first.status === 200) await first.remember();
    expect(await fetcher.get(url, { conditional: true })).toEqual({ status: 304, url });
    expect(upstream.requests.map((r) => [r.headers["if-none-match"], r.headers["if-modified-since"]])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      ['"v1"', "Tue, 24 Nov 2026 10:00:00 GMT"],
    ]);
  });

  it("spaces its requests by the minimum interval (arXiv: 3 s), retries included", async () => {
    replies(
      () => ({ status: 503 }),
      () => ({ body: "ok" }),
    );
    const fetcher = createFetcher(settings({ minIntervalMs: 3000, retryBaseMs: 1 }));
    await fetcher.get(`${upstream.url}/a`);
    await fetcher.get(`${upstream.url}/b`);
    const at = upstream.requests.map((r) => r.at);
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(2990);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(2990);
  }, 15_000);
});
