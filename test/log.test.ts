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

  it("cuts link tokens out of logged paths", () => {
    const token = signSubscriberToken(TEST_SECRET, "0f5e3c1a-1111-4222-8333-444455556666", "manage");
    expect(redactPath(`/manage/${token}`)).toBe("/manage/[token]");
    expect(redactPath("/papers/12?page=2")).toBe("/papers/12?[query]");
  });
});

describe("request logging", () => {
  let service: TestService;
  const { lines, log } = capture();
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
});
