// The outage gate: work waits for an unreachable database and runs again, with one warning per outage; a time
// limit ends the wait for everyone; other errors pass straight through.
import { describe, expect, it } from "vitest";
import { createOutageGate, DatabaseWaitExceeded } from "../../src/db/outage-gate.ts";
import { captureLog } from "../support/log-capture.ts";

/** What Prisma throws when PostgreSQL does not answer. */
const unreachable = () => Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: "P1001" });

/** Fails with an unreachable database `times` times, then answers. */
function flaky(times: number) {
  let calls = 0;
  return {
    fn: async () => {
      calls += 1;
      if (calls <= times) throw unreachable();
      return "answer";
    },
    calls: () => calls,
  };
}

describe("the outage gate", () => {
  it("waits for the database and runs the work again, with one line when the outage starts and one when it ends", async () => {
    const { lines, log } = captureLog("info");
    const gate = createOutageGate(log, { retryMs: 10, waiting: "sending waits" });
    let databaseUp = false;
    let calls = 0;
    const query = async () => {
      calls += 1;
      if (!databaseUp) throw unreachable();
      return "answer";
    };
    setTimeout(() => (databaseUp = true), 150);
    expect(await Promise.all([gate.run(query), gate.run(query), gate.run(query)])).toEqual(["answer", "answer", "answer"]);
    expect(calls).toBeGreaterThan(6);
    expect(lines.map((l) => l.msg)).toEqual(["database unreachable: sending waits", expect.stringMatching(/^database reachable again after \d+\.\d s$/)]);
    expect(gate.down).toBe(false);
  });

  it("says nothing about a single dropped connection", async () => {
    const { lines, log } = captureLog("info");
    const gate = createOutageGate(log, { retryMs: 10 });
    expect(await gate.run(flaky(1).fn)).toBe("answer");
    expect(lines).toEqual([]);
  });

  it("gives up for every caller once the database has been away longer than the limit", async () => {
    const { log } = captureLog("info");
    const gate = createOutageGate(log, { retryMs: 10, maxWaitMs: 100 });
    await expect(gate.run(flaky(1000).fn)).rejects.toBeInstanceOf(DatabaseWaitExceeded);
    await expect(gate.run(async () => "late")).rejects.toBeInstanceOf(DatabaseWaitExceeded);
  });

  it("lets any other error through at once", async () => {
    const { log } = captureLog("info");
    const gate = createOutageGate(log, { retryMs: 10 });
    let calls = 0;
    await expect(
      gate.run(async () => {
        calls += 1;
        throw Object.assign(new Error("duplicate key"), { code: "P2002" });
      }),
    ).rejects.toThrow("duplicate key");
    expect(calls).toBe(1);
  });
});
