// The fault runs: the sink refusing 20% with 421, the sink killed and restarted, the app SIGKILLed and restarted.
// Each counts what the sink's log says arrived: everything once, nothing lost, duplicates at most what was in flight.
import { createSubscribers } from "./subscribers.ts";
import type { Harness } from "./harness.ts";

export async function runFaults(h: Harness, subscribers: number) {
  const { db, startSink, startApp, waitUntilSent, resetDay, deliveries, freePort, sinkLog } = h;
  const FN = subscribers;
  const faults: Record<string, unknown>[] = [];
  {
    await db.subscriber.deleteMany();
    await createSubscribers(db, FN);
    for (const fault of ["smtp-421-20pct", "sink-killed-and-restarted", "app-sigkill-and-restart"] as const) {
      await resetDay();
      const port = freePort();
      const log = sinkLog();
      let sink = await startSink(port, log, fault === "smtp-421-20pct" ? 0.2 : 0);
      const smtpUrl = `smtp://127.0.0.1:${port}`;
      let app = startApp(smtpUrl, true);
      const plan = await app.message("planMs");
      await app.send();
      let injected = false;
      let inFlightAtKill = 0;
      await waitUntilSent(plan.planned!, fault, async (done) => {
        if (injected || done < plan.planned! * 0.3) return;
        injected = true;
        if (fault === "sink-killed-and-restarted") {
          sink.kill("SIGKILL");
          await new Promise((r) => setTimeout(r, 2000));
          sink = await startSink(port, log);
        } else if (fault === "app-sigkill-and-restart") {
          const before = (await db.digest.count({ where: { status: "sending" } }));
          inFlightAtKill = before;
          app.child.kill("SIGKILL");
          await new Promise((r) => app.child.once("exit", r));
          app = startApp(smtpUrl, true);
          await app.send();
        }
      });
      await app.stop();
      const refused = fault === "smtp-421-20pct" ? await new Promise<number>((resolve) => {
        sink.once("message", (m) => resolve((m as { refused: number }).refused));
        sink.send({ stats: true });
      }) : 0;
      sink.kill("SIGTERM");
      const counts = deliveries(log);
      const delivered = [...counts.values()].reduce((a, b) => a + b, 0);
      faults.push({ fault, subscribers: FN, planned: plan.planned, delivered, distinctRecipients: counts.size, missing: plan.planned! - counts.size, duplicates: delivered - counts.size, refusedWith421: refused, claimedAtKill: inFlightAtKill, failedDigests: await db.digest.count({ where: { status: "failed" } }) });
      console.log(`${fault}: ${JSON.stringify(faults.at(-1))}`);
    }
  }
  return faults;
}
