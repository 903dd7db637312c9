import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrubAddresses, withLogContext } from "../src/log.ts";
import { signSubscriberToken } from "../src/subscriptions/tokens.ts";
import { redactPath } from "../src/web/request-log.ts";
import { captureLog } from "./support/log-capture.ts";
import { startTestService, TEST_SECRET, type TestService } from "./support/service.ts";

const capture = () => captureLog();

describe("structured logs", () => {
  it("writes JSON lines with level, time and message, and the context's fields on every line inside it", async () => {
    const { lines, log } = capture();
    await withLogContext({ reqId: "r-1" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      log.info({ digestId: "d-1" }, "sent");
    });
    log.info("outside");
    expect(lines[0]).toMatchObject({ level: 30, msg: "sent", reqId: "r-1", digestId: "d-1" });
    expect(typeof lines[0]!.time).toBe("string");
    expect(lines[1]).not.toHaveProperty("reqId");
  });

  it("keeps one line's fields off the next line in the same context", async () => {
    const { lines, log } = capture();
    withLogContext({ reqId: "r-2" }, () => {
      log.warn({ err: new Error("first"), detail: "one" }, "first");
      log.info("second");
    });
    expect(lines[1]).toMatchObject({ reqId: "r-2", msg: "second" });
    expect(lines[1]).not.toHaveProperty("err");
    expect(lines[1]).not.toHaveProperty("detail");
  });

  it("redacts tokens, email addresses and secrets", () => {
    const { lines, log } = capture();
    log.warn({ token: "abc", email: "a@b.example", nested: { appSecret: "s", email: "x@y.example" } }, "x");
    expect(JSON.stringify(lines[0])).not.toMatch(/abc|a@b\.example|x@y\.example|"s"/);
    expect(scrubAddresses("550 5.1.1 <someone@example.com>: no such user")).toBe("550 5.1.1 <[address]>: no such user");
  });

  it("never writes a link token, whatever carries it: message, error message or stack", () => {
    const { lines, log } = capture();
    const signed = signSubscriberToken(TEST_SECRET, "0f5e3c1a-1111-4222-8333-444455556666", "unsubscribe");
    const confirm = "Xq3v0bJd6fL2mN8pR4sT1uW7yZ9aC5eG0hK2jM4nP6r";
    log.error({ err: new Error(`could not read /unsubscribe/${signed}`) }, `error on POST /unsubscribe/${signed}`);
    log.warn(`confirmation ${confirm} failed`);
    log.info({ detail: `see /confirm/${confirm}` }, "x");
    const text = JSON.stringify(lines);
    expect(text).not.toContain(signed);
    expect(text).not.toContain(signed.split(".").at(-1));
    expect(text).not.toContain(confirm);
    expect(lines[0]!.msg).toBe("error on POST /unsubscribe/[token]");
    expect((lines[0]!.err as { message: string }).message).toBe("could not read /unsubscribe/[token]");
    expect((lines[0]!.err as { stack: string }).stack).toContain("could not read /unsubscribe/[token]");
  });

  it("cuts the password out of a connection string an error quotes", () => {
    const { lines, log } = capture();
    log.error({ err: new Error("cannot connect to smtps://mailer:s3cr%40t-pass@smtp.example.org:465") }, "could not reach postgresql://app:hunter2@db.internal:5432/tpd");
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/s3cr%40t-pass|hunter2/);
    expect(lines[0]!.msg).toBe("could not reach postgresql://app:[redacted]@db.internal:5432/tpd");
    expect((lines[0]!.err as { message: string }).message).toBe("cannot connect to smtps://mailer:[redacted]@smtp.example.org:465");
  });

  it("cuts link tokens out of logged paths", () => {
    const token = signSubscriberToken(TEST_SECRET, "0f5e3c1a-1111-4222-8333-444455556666", "manage");
    expect(redactPath(`/manage/${token}`)).toBe("/manage/[token]");
    expect(redactPath("/papers/12?page=2")).toBe("/papers/12?[query]");
  });
});

describe("request logging", () => {
  let service: TestService;
  const { lines, raw, log } = capture();
  beforeAll(async () => {
    service = await startTestService({}, { log });
  });
  afterAll(async () => {
    await service?.close();
  });

  it("logs each request once with its id, returns the id, and never the token in the path", async () => {
    const token = signSubscriberToken(TEST_SECRET, "0f5e3c1a-1111-4222-8333-444455556666", "manage");
    const res = await fetch(`${service.baseUrl}/manage/${token}`, { headers: { "x-request-id": "req-abc.1" } });
    await res.text();
    expect(res.headers.get("x-request-id")).toBe("req-abc.1");
    const line = lines.find((l) => l.reqId === "req-abc.1" && (l.req as { url?: string } | undefined)?.url);
    expect(line).toMatchObject({ req: { method: "GET", url: "/manage/[token]" }, res: { statusCode: 400 } });
    expect(JSON.stringify(lines)).not.toContain(token);
    const own = await fetch(`${service.baseUrl}/papers`);
    expect(own.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("writes every key once per line, the request id included (a log pipeline rejects or mangles duplicate keys)", async () => {
    await (await fetch(`${service.baseUrl}/papers`, { headers: { "x-request-id": "req-once" } })).text();
    await (await fetch(`${service.baseUrl}/no-such-page`, { headers: { "x-request-id": "req-once-404" } })).text();
    const mine = raw.filter((line) => line.includes('"req-once'));
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const line of mine) {
      const keys = [...line.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]);
      expect(keys.filter((k) => k === "reqId")).toHaveLength(1);
      expect(new Set(keys).size, line).toBe(keys.length);
    }
  });

  it("puts the request's id on every line it causes, also on work that runs after the answer", async () => {
    // The confirmation email goes out after the 202; the SMTP server refuses it, and that failure is logged.
    const { topics } = (await (await fetch(`${service.baseUrl}/api/topics`)).json()) as { topics: { slug: string }[] };
    service.sink.failWith = () => ({ code: 451, message: "try later" });
    try {
      const res = await fetch(`${service.baseUrl}/api/subscriptions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "req-after-answer" },
        body: JSON.stringify({ email: "late-log@example.com", topics: [topics[0]!.slug] }),
      });
      expect(res.status).toBe(202);
      await expect.poll(() => lines.filter((l) => l.reqId === "req-after-answer").map((l) => l.msg), { timeout: 10_000 }).toEqual(
        expect.arrayContaining(["POST /api/subscriptions 202", "sending a subscription email failed; the opt-in outbox retries it within 10 minutes"]),
      );
    } finally {
      service.sink.failWith = undefined;
    }
    // A line logged outside any request carries no request id.
    log.info("between requests");
    expect(lines.at(-1)).not.toHaveProperty("reqId");
  });
});
