// Temporary send failures in the log: one warning at the start, a summary per minute by class while they go on,
// one line when they stop; ids, never addresses.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createFailureReport } from "../../src/digest/failure-report.ts";
import type { SendFailure } from "../../src/digest/failures.ts";
import { captureLog } from "../support/log-capture.ts";

const refused: SendFailure = { scope: "server", failureClass: "4xx", code: 421, message: "421 4.7.0 Try again later <reader@example.com>" };
const lost: SendFailure = { scope: "server", failureClass: "connection", message: "Connection closed unexpectedly" };
const slow: SendFailure = { scope: "server", failureClass: "timeout", message: "Greeting never received" };
const digest = { digestId: "d-1", subscriberId: "s-1" };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the failure report", () => {
  it("warns once when failures start, summarises each minute by class, and says when they stopped", () => {
    const { lines, log } = captureLog("info");
    const report = createFailureReport(log);
    report.failure(refused, digest);
    report.failure(refused, digest);
    report.failure(lost, digest);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, failureClass: "4xx", digestId: "d-1", subscriberId: "s-1", smtp: "421 4.7.0 Try again later <[address]>" });
    expect(String(lines[0]!.msg)).toMatch(/^temporary send failures started/);

    vi.advanceTimersByTime(30_000);
    report.failure(slow, digest);
    vi.advanceTimersByTime(30_000); // one minute since the start
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 40, failures: { "4xx": 2, connection: 1, timeout: 1, "5xx": 0, other: 0 } });
    expect(String(lines[1]!.msg)).toMatch(/^temporary send failures continue: 2 4xx, 1 connection, 1 timeout in the last 60 s/);

    report.failure(refused, digest);
    vi.advanceTimersByTime(60_000); // the next summary
    expect(lines[2]).toMatchObject({ failures: { "4xx": 1, connection: 0, timeout: 0 } });
    vi.advanceTimersByTime(60_000); // a minute without failures
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ level: 40, total: 5, failures: { "4xx": 3, connection: 1, timeout: 1 } });
    expect(String(lines[3]!.msg)).toMatch(/^temporary send failures stopped: 5 in \d+ s/);

    // A new episode warns again.
    report.failure(lost, digest);
    expect(lines).toHaveLength(5);
    expect(String(lines[4]!.msg)).toMatch(/^temporary send failures started \(connection\)/);
    report.stop();
    expect(JSON.stringify(lines)).not.toContain("reader@example.com");
  });
});
