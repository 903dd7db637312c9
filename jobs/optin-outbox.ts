// Every minute: send the opt-in emails (confirmation and manage links) whose subscribe request did not get to send
// them (a failed send, a process that died after answering). See src/subscriptions/outbox.ts.
import cron, { type ScheduledTask } from "node-cron";
import { sweepOptInOutbox } from "../src/subscriptions/outbox.ts";
import type { SubscriptionDeps } from "../src/subscriptions/deps.ts";

export async function runOptInOutbox(deps: SubscriptionDeps) {
  try {
    return await sweepOptInOutbox(deps);
  } catch (err) {
    deps.log.warn({ err }, "opt-in outbox: sweep failed; the next minute tries again");
    return undefined;
  }
}

export function scheduleOptInOutbox(deps: SubscriptionDeps): ScheduledTask {
  return cron.schedule("* * * * *", () => runOptInOutbox(deps), { name: "optin-outbox", noOverlap: true });
}
