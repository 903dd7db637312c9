// The fault runs. Each plans one day's digests for N readers and sends them through the real app processes into the
// sink, with one fault: the sink refusing 20% or 70% of messages with 421 (from the start), killed and restarted,
// blackholed for 60 s, the app SIGKILLed and restarted, or PostgreSQL SIGKILLed and restarted 20 s later while the app
// keeps running. Each counts what the sink's log says arrived: delivered once, duplicated, missed, how many digests
// were in flight when the fault hit, and the time from the fault (and from its end) to everything sent.
import type { ChildProcess } from "node:child_process";
import type { Harness } from "./harness.ts";
import { createSubscribers } from "./subscribers.ts";

export const FAULTS = ["smtp-421-20pct", "smtp-421-70pct", "sink-killed-and-restarted", "sink-blackholed-60s", "app-sigkill-and-restart", "postgres-sigkill-and-restart"] as const;
export type Fault = (typeof FAULTS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runFaults(h: Harness, subscribers: number, only: readonly Fault[] = FAULTS) {
  const { db, startSink, startApp, waitUntilSent, resetDay, deliveries, freePort, sinkLog } = h;
  const results: Record<string, unknown>[] = [];
  await db.subscriber.deleteMany();
  await createSubscribers(db, subscribers);
  for (const fault of only) {
    if (fault === "postgres-sigkill-and-restart" && !h.restartable) {
      console.log(`${fault}: skipped (DATABASE_URL is set: only the benchmark's own embedded PostgreSQL can be killed)`);
      continue;
    }
    await resetDay();
    const port = freePort();
    const log = sinkLog();
    const failRate = fault === "smtp-421-20pct" ? 0.2 : fault === "smtp-421-70pct" ? 0.7 : 0;
    let sink: ChildProcess = await startSink(port, log, failRate, { proxy: fault === "sink-blackholed-60s" });
    const smtpUrl = `smtp://127.0.0.1:${port}`;
    let app = startApp(smtpUrl, true);
    const plan = await app.message("planMs");
    const planned = plan.planned!;
    await app.send();
    const sendStarted = Date.now();
    // A refusal storm is there from the start; the other faults hit at 30% of the run.
    const storm = failRate > 0;
    let faultAt = storm ? sendStarted : 0;
    let faultEndedAt = 0;
    let inFlightAtFault: number | undefined;
    await waitUntilSent(planned, fault, async (done) => {
      if (storm || faultAt || done < planned * 0.3) return;
      inFlightAtFault = await db.digest.count({ where: { status: "sending" } });
      faultAt = Date.now();
      if (fault === "sink-killed-and-restarted") {
        sink.kill("SIGKILL");
        await sleep(2000);
        sink = await startSink(port, log);
      } else if (fault === "sink-blackholed-60s") {
        sink.send({ blackhole: 60_000 });
        await sleep(60_000);
      } else if (fault === "app-sigkill-and-restart") {
        app.child.kill("SIGKILL");
        await new Promise((r) => app.child.once("exit", r));
        app = startApp(smtpUrl, false);
        await app.send();
      } else if (fault === "postgres-sigkill-and-restart") {
        await h.restartable!.kill();
        await sleep(20_000);
        await h.restartable!.start();
      }
      faultEndedAt = Date.now();
    });
    const allSentAt = Date.now();
    await app.stop();
    const refused = storm
      ? await new Promise<number>((resolve) => {
          sink.once("message", (m) => resolve((m as { refused: number }).refused));
          sink.send({ stats: true });
        })
      : 0;
    sink.kill("SIGTERM");
    const counts = deliveries(log);
    const delivered = [...counts.values()].reduce((a, b) => a + b, 0);
    const maxAttempts = await db.digest.aggregate({ _max: { attempts: true } });
    results.push({
      fault,
      readers: planned,
      deliveredOnce: [...counts.values()].filter((n) => n === 1).length,
      duplicated: delivered - counts.size,
      missed: planned - counts.size,
      inFlightAtFault: inFlightAtFault ?? null,
      secondsFromFaultToAllSent: (allSentAt - faultAt) / 1000,
      secondsFromFaultEndToAllSent: storm ? null : (allSentAt - faultEndedAt) / 1000,
      refusedWith421: refused,
      failedDigests: await db.digest.count({ where: { status: "failed" } }),
      maxAttemptsOfOneDigest: maxAttempts._max.attempts,
    });
    console.log(`${fault}: ${JSON.stringify(results.at(-1))}`);
  }
  return results;
}
