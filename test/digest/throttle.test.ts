// The whole sender's pace: multiplicative decrease on server refusals (once per round), additive increase on
// success, never below one send, and pauses only when nothing at all gets through.
import { describe, expect, it } from "vitest";
import { createSendThrottle, ThrottleClosedError } from "../../src/digest/throttle.ts";

const settled = async <T>(promise: Promise<T>) => {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, 5));
  return done;
};

describe("the send throttle", () => {
  it("halves the sends at once on a refusal of the server, only once for the sends of one round, and adds one back per success", async () => {
    const throttle = createSendThrottle({ maxConcurrency: 16 });
    const first = await throttle.acquire(16);
    expect(first).toHaveLength(16);
    for (const permit of first) permit.release("refused"); // 16 refusals of one round: one halving
    expect(throttle.state().limit).toBe(8);

    const second = await throttle.acquire(16);
    expect(second).toHaveLength(8);
    second[0]!.release("refused"); // a new round: halved again
    expect(throttle.state().limit).toBe(4);
    for (const permit of second.slice(1)) permit.release("success"); // 7 successes: one more slot each
    expect(throttle.state().limit).toBe(11);
  });

  it("never goes below one send and never pauses while some messages still get through", async () => {
    let clock = 0;
    const throttle = createSendThrottle({ maxConcurrency: 8, quietMs: 3_000, now: () => clock });
    for (let i = 0; i < 200; i++) {
      clock += 50;
      const [permit] = await throttle.acquire(1);
      // 70% refused, 30% accepted: narrowed to a few sends at once, but never paused.
      permit!.release(i % 10 < 7 ? "refused" : "success");
      expect(throttle.state().pauseMs).toBe(0);
      expect(throttle.state().limit).toBeGreaterThanOrEqual(1);
    }
    expect(throttle.state().limit).toBeLessThanOrEqual(4);
  });

  it("probes with growing pauses while nothing gets through, and the first success ends them", async () => {
    const throttle = createSendThrottle({ maxConcurrency: 4, quietMs: 0, minPauseMs: 20, maxPauseMs: 80 });
    const pauses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [permit] = await throttle.acquire(1);
      permit!.release("refused");
      pauses.push(throttle.state().pauseMs);
    }
    // 4 -> 2 -> 1 send at once, then pauses from 20 ms doubling up to the cap.
    expect(pauses).toEqual([0, 20, 40, 80, 80]);
    // While paused, nobody gets a slot.
    const waiting = throttle.acquire(4);
    expect(await settled(waiting)).toBe(false);
    // After the pause one probe goes out, alone.
    const probe = await waiting;
    expect(probe).toHaveLength(1);
    probe[0]!.release("success");
    expect(throttle.state()).toMatchObject({ pauseMs: 0, limit: 2 });
    expect(await throttle.acquire(4)).toHaveLength(2);
  });

  it("rejects whoever waits when it is closed", async () => {
    const throttle = createSendThrottle({ maxConcurrency: 1 });
    await throttle.acquire(1);
    const waiting = throttle.acquire(1);
    throttle.close();
    await expect(waiting).rejects.toBeInstanceOf(ThrottleClosedError);
  });
});
