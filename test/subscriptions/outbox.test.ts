// The opt-in outbox: a confirmation or manage-link email whose request did not send it (a failed send, a process
// killed between its commit and its send) still goes out, once, with a link that works.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import type { SubscriptionDeps } from "../../src/subscriptions/deps.ts";
import { parseInput, subscriptionInput } from "../../src/subscriptions/input.ts";
import { subscribe } from "../../src/subscriptions/lifecycle.ts";
import { OUTBOX_MAX_ATTEMPTS, OUTBOX_SWEEP_AFTER_MS, sweepOptInOutbox } from "../../src/subscriptions/outbox.ts";
import { createMailer } from "../../src/mail/transport.ts";
import { loadEmailTemplates } from "../../src/mail/templates.ts";
import { FormClient } from "../support/http.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";
import { linkIn } from "../support/smtp-sink.ts";

let service: TestService;
let deps: SubscriptionDeps;
const clock = { now: new Date() };

beforeAll(async () => {
  service = await startTestService();
  deps = {
    db: service.database.db,
    mailer: createMailer(service.config, service.sink.url),
    emails: await loadEmailTemplates(),
    links: { publicBaseUrl: service.baseUrl, appSecret: TEST_SECRET },
    postalAddress: service.config.mail.postalAddress,
    confirmationEmailsPerDay: 3,
    log: createLogger("silent"),
    now: () => clock.now,
  };
});
afterAll(async () => {
  deps?.mailer.close();
  await service?.close();
});
beforeEach(async () => {
  // Each test starts with an empty outbox (clocks go back to the present between tests).
  await service.database.db.confirmationToken.updateMany({ where: { sentAt: null }, data: { sentAt: new Date() } });
  service.sink.clear();
  service.sink.failWith = undefined;
  clock.now = new Date();
});

/** A subscribe request whose process dies after its commit: the email is never sent by the request. */
const subscribeAndDie = (email: string, topics = ["agents"]) => subscribe(deps, parseInput(subscriptionInput, { email, topics, timezone: "UTC" }), "127.0.0.1");
const later = (ms: number) => {
  clock.now = new Date(clock.now.getTime() + ms);
};
const unsent = (email: string) => service.database.db.confirmationToken.findMany({ where: { subscriber: { email }, sentAt: null } });

describe("the opt-in outbox", () => {
  it("sends a confirmation whose request died before sending it, once, with a link that confirms", async () => {
    await subscribeAndDie("crashed@example.org", ["agents", "math"]);
    expect((await sweepOptInOutbox(deps)).sent).toBe(0); // too fresh: the request may still be sending it
    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    expect(await sweepOptInOutbox(deps)).toEqual({ sent: 1, failed: 0 });
    const [mail] = await service.sink.waitFor(1, "crashed@example.org");
    expect(mail!.subject).toMatch(/Confirm/);
    expect(mail!.text).toContain("Agents");
    expect(await unsent("crashed@example.org")).toEqual([]);

    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    expect((await sweepOptInOutbox(deps)).sent).toBe(0);
    expect(service.sink.to("crashed@example.org")).toHaveLength(1);

    const link = linkIn(mail!, "/confirm/");
    const browser = new FormClient(service.baseUrl);
    const confirmed = await browser.submit(link, new URL(link).pathname, {});
    expect(confirmed.html).toContain("You are subscribed");
    expect((await service.database.db.subscriber.findUnique({ where: { email: "crashed@example.org" } }))!.status).toBe("active");
  });

  it("states the first email by the reader's own schedule, as the request's own email does", async () => {
    clock.now = new Date("2026-11-25T10:00:00Z"); // a Wednesday
    await subscribe(deps, parseInput(subscriptionInput, { email: "weekly-crash@example.org", topics: ["math"], timezone: "UTC", sendHour: 6, cadence: "weekly", weekday: 1 }), "127.0.0.1");
    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    expect((await sweepOptInOutbox(deps)).sent).toBe(1);
    const [mail] = await service.sink.waitFor(1, "weekly-crash@example.org");
    expect(mail!.text).toContain("Your first email: Mon 30 Nov, 06:00 UTC, if you confirm before then; then one every Monday at 06:00.");
  });

  it("does not send again an email its request sent", async () => {
    const deliver = await subscribeAndDie("delivered@example.org");
    await deliver();
    await service.sink.waitFor(1, "delivered@example.org");
    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    expect((await sweepOptInOutbox(deps)).sent).toBe(0);
    expect(service.sink.to("delivered@example.org")).toHaveLength(1);
  });

  it("retries an email the mail server refused, and gives up after a few attempts", async () => {
    service.sink.failWith = (to) => (to.startsWith("refused") ? { code: 451, message: "try again later" } : undefined);
    const deliver = await subscribeAndDie("refused@example.org");
    await expect(deliver()).rejects.toThrow();
    expect(await unsent("refused@example.org")).toHaveLength(1);
    for (let attempt = 1; attempt <= OUTBOX_MAX_ATTEMPTS; attempt++) {
      later(OUTBOX_SWEEP_AFTER_MS + 1000);
      expect(await sweepOptInOutbox(deps)).toEqual({ sent: 0, failed: 1 });
    }
    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    expect(await sweepOptInOutbox(deps)).toEqual({ sent: 0, failed: 0 });

    // One failure, then the server takes it.
    const again = await subscribeAndDie("flaky@example.org");
    service.sink.failWith = (to) => (to.startsWith("flaky") ? { code: 451, message: "try again later" } : undefined);
    await expect(again()).rejects.toThrow();
    service.sink.failWith = undefined;
    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    expect(await sweepOptInOutbox(deps)).toEqual({ sent: 1, failed: 0 });
    expect(service.sink.to("flaky@example.org")).toHaveLength(1);
  });

  it("sends only what is still worth sending: the newest link, not to suppressed addresses, a manage link within a day", async () => {
    await subscribeAndDie("twice@example.org", ["agents"]);
    await subscribeAndDie("twice@example.org", ["math"]);
    await subscribeAndDie("suppressed@example.org");
    await service.database.db.suppression.create({ data: { email: "suppressed@example.org", reason: "complained" } });
    // An active reader whose manage-link email was lost, and another whose was lost more than a day ago.
    await (await subscribeAndDie("active@example.org"))();
    await (await subscribeAndDie("stale@example.org"))();
    await service.database.db.subscriber.updateMany({ where: { email: { in: ["active@example.org", "stale@example.org"] } }, data: { status: "active" } });
    await subscribeAndDie("stale@example.org");
    later(25 * 3600_000);
    await subscribeAndDie("active@example.org");

    service.sink.clear();
    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    expect(await sweepOptInOutbox(deps)).toEqual({ sent: 2, failed: 0 });
    await service.sink.waitFor(2);
    const [newest] = service.sink.to("twice@example.org");
    expect(newest!.text).toContain("Math");
    expect(service.sink.to("twice@example.org")).toHaveLength(1);
    expect(service.sink.to("suppressed@example.org")).toHaveLength(0);
    expect(service.sink.to("active@example.org").map((m) => m.subject)).toEqual(["Your Trending Papers Digest subscription"]);
    expect(service.sink.to("stale@example.org")).toHaveLength(0);
  });

  it("sends each email once when several processes sweep at the same time", async () => {
    const addresses = Array.from({ length: 12 }, (_, i) => `concurrent${i}@example.org`);
    for (const address of addresses) await subscribeAndDie(address);
    later(OUTBOX_SWEEP_AFTER_MS + 1000);
    const outcomes = await Promise.all([sweepOptInOutbox(deps), sweepOptInOutbox(deps), sweepOptInOutbox(deps)]);
    expect(outcomes.reduce((sum, o) => sum + o.sent, 0)).toBe(addresses.length);
    await service.sink.waitFor(addresses.length);
    for (const address of addresses) expect(service.sink.to(address)).toHaveLength(1);
  });
});
