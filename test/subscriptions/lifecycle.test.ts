import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { csrfTokenIn, FormClient, postJson } from "../support/http.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { linkIn } from "../support/smtp-sink.ts";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});
beforeEach(() => service.sink.clear());

const subscribeJson = (body: Record<string, unknown>) => postJson(`${service.baseUrl}/api/subscriptions`, body);
const subscriberByEmail = (email: string) => service.database.db.subscriber.findUnique({ where: { email }, include: { topics: { include: { topic: true } } } });

describe("the whole happy path through the pages", () => {
  it("subscribes, confirms by POST, manages, pauses, resumes and unsubscribes", async () => {
    const browser = new FormClient(service.baseUrl);
    const subscribed = await browser.submit("/", "/subscribe", {
      email: "Reader@Example.ORG",
      topics: ["reasoning", "agents"],
      keywords: "speculative decoding, protein folding",
      timezone: "Europe/Berlin",
      sendHour: "8",
      maxPapers: "7",
    });
    expect(subscribed.status).toBe(303);
    expect(subscribed.headers.get("location")).toMatch(/^\/check-inbox(\?|$)/);
    expect((await browser.get(subscribed.headers.get("location")!)).html).toContain("Check your inbox");

    const [mail] = await service.sink.waitFor(1, "Reader@example.org");
    expect(mail!.subject).toMatch(/Confirm/);
    expect(mail!.text).toContain("Reasoning & Chain-of-Thought");
    expect(mail!.html).toContain("Trending Papers Digest, 1 Example Street"); // postal address in the footer
    const confirmLink = linkIn(mail!, "/confirm/");
    expect(mail!.text).toContain(confirmLink);

    const pending = await subscriberByEmail("Reader@example.org");
    expect(pending).toMatchObject({ status: "pending", timezone: "Europe/Berlin", sendHour: 8, maxPapers: 7, keywords: ["speculative decoding", "protein folding"] });
    expect(pending!.topics.map((t) => t.topic.slug).sort()).toEqual(["agents", "reasoning"]);

    // Opening the link (as a mail scanner would) confirms nothing.
    const confirmPage = await browser.get(confirmLink);
    expect(confirmPage.status).toBe(200);
    expect((await subscriberByEmail("Reader@example.org"))!.status).toBe("pending");

    const confirmed = await browser.submit(confirmLink, new URL(confirmLink).pathname, {});
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain("You are subscribed");
    const active = await subscriberByEmail("Reader@example.org");
    expect(active!.status).toBe("active");
    expect(active!.confirmedAt).toBeInstanceOf(Date);
    expect(active!.confirmedIp).toMatch(/127\.0\.0\.1/);
    expect(active!.subscribedIp).toMatch(/127\.0\.0\.1/);
    expect(active!.subscribedAt!.getTime()).toBeLessThanOrEqual(active!.confirmedAt!.getTime());
    expect(service.sink.to("Reader@example.org")).toHaveLength(1); // only the confirmation email, nothing else

    const manageUrl = /href="([^"]*\/manage\/[^"]+)"/.exec(confirmed.html)![1]!;
    const manage = await browser.get(manageUrl);
    expect(manage.html).toContain("Reader@example.org");
    const saved = await browser.submit(manageUrl, new URL(manageUrl).pathname, { topics: ["continual-learning"], keywords: "", timezone: "Asia/Tokyo", sendHour: "6", maxPapers: "3" });
    expect(saved.status).toBe(200);
    expect(saved.html).toContain("Your preferences are saved.");
    const updated = await subscriberByEmail("Reader@example.org");
    expect(updated).toMatchObject({ timezone: "Asia/Tokyo", sendHour: 6, maxPapers: 3, keywords: [] });
    expect(updated!.topics.map((t) => t.topic.slug)).toEqual(["continual-learning"]);

    await browser.submit(manageUrl, `${new URL(manageUrl).pathname}/pause`, {});
    expect((await subscriberByEmail("Reader@example.org"))!.status).toBe("paused");
    await browser.submit(manageUrl, `${new URL(manageUrl).pathname}/resume`, {});
    expect((await subscriberByEmail("Reader@example.org"))!.status).toBe("active");

    const unsubscribeUrl = /href="([^"]*\/unsubscribe\/[^"]+)"/.exec(manage.html)![1]!;
    const page = await browser.get(unsubscribeUrl);
    expect(page.html).toContain("Unsubscribe");
    expect((await subscriberByEmail("Reader@example.org"))!.status).toBe("active"); // GET does not unsubscribe
    const done = await browser.submit(unsubscribeUrl, new URL(unsubscribeUrl).pathname, {});
    expect(done.html).toContain("You are unsubscribed");
    expect((await subscriberByEmail("Reader@example.org"))!.status).toBe("unsubscribed");
  });
});

describe("the first email's time", () => {
  it("is stated exactly in the confirmation email and on the confirmed page: the first delivery hour after confirming", async () => {
    service.clock.now = new Date("2026-11-24T16:50:00Z"); // 17:50 in Berlin
    try {
      const browser = new FormClient(service.baseUrl);
      await browser.submit("/", "/subscribe", { email: "first-time@example.com", topics: ["math"], timezone: "Europe/Berlin", sendHour: "7", maxPapers: "5" });
      const [mail] = await service.sink.waitFor(1, "first-time@example.com");
      expect(mail!.text).toContain("Your first email: tomorrow, 07:00 Europe/Berlin, if you confirm before then; then one every day at 07:00.");
      service.clock.now = new Date("2026-11-24T16:53:00Z");
      const link = linkIn(mail!, "/confirm/");
      const confirmed = await browser.submit(link, new URL(link).pathname, {});
      expect(confirmed.html).toContain("Your first email: tomorrow, 07:00 Europe/Berlin. Then one every day at 07:00.");
      expect(confirmed.html).not.toContain("arrives at your chosen hour");
    } finally {
      service.clock.now = new Date();
    }
  });

  it("names the weekday for a weekly reader", async () => {
    service.clock.now = new Date("2026-11-25T10:00:00Z"); // a Wednesday
    try {
      const res = await subscribeJson({ email: "weekly-first@example.com", topics: ["math"], timezone: "UTC", sendHour: 6, cadence: "weekly", weekday: 1, maxPapers: 20 });
      expect(res.status).toBe(202);
      const [mail] = await service.sink.waitFor(1, "weekly-first@example.com");
      expect(mail!.text).toContain("a weekly email");
      expect(mail!.text).toContain("Your first email: Mon 30 Nov, 06:00 UTC, if you confirm before then; then one every Monday at 06:00.");
      expect(await subscriberByEmail("weekly-first@example.com")).toMatchObject({ cadence: "weekly", weekday: 1, maxPapers: 20 });
    } finally {
      service.clock.now = new Date();
    }
  });
});

async function subscribeAndConfirm(email: string) {
  await subscribeJson({ email, topics: ["math"] });
  const mails = await service.sink.waitFor(1, email);
  const link = linkIn(mails.at(-1)!, "/confirm/");
  const browser = new FormClient(service.baseUrl);
  await browser.submit(link, new URL(link).pathname, {});
  const subscriber = await subscriberByEmail(email);
  expect(subscriber!.status).toBe("active");
  return { subscriber: subscriber!, link };
}

describe("confirmation links", () => {
  it("work only once; used again, they say the address is confirmed and link to the preferences", async () => {
    const { subscriber, link } = await subscribeAndConfirm("once@example.com");
    const confirmedAt = subscriber.confirmedAt;
    const browser = new FormClient(service.baseUrl);
    const again = await browser.get(link);
    expect(again.status).toBe(200);
    expect(again.html).toContain("Your subscription is already confirmed");
    expect(again.html).not.toContain("expired");
    expect(again.html).not.toContain("Subscribe again");
    const manage = /href="([^"]*\/manage\/[^"]+)"/.exec(again.html)![1]!;
    expect((await browser.get(manage)).html).toContain("once@example.com");
    // Pressing the button again (a second tab) confirms nothing new and says the same.
    const twice = await browser.post(new URL(link).pathname, { _csrf: csrfTokenIn(again.html.includes("_csrf") ? again.html : (await browser.get("/")).html) });
    expect(twice.status).toBe(200);
    expect(twice.html).toContain("already confirmed");
    expect((await subscriberByEmail("once@example.com"))!.confirmedAt).toEqual(confirmedAt);
  });

  it("replaced by a newer one say so; of an unsubscribed address, say it expired", async () => {
    await subscribeJson({ email: "replaced@example.com", topics: ["math"] });
    await subscribeJson({ email: "replaced@example.com", topics: ["math"] });
    const [first] = await service.sink.waitFor(2, "replaced@example.com");
    const old = await new FormClient(service.baseUrl).get(linkIn(first!, "/confirm/"));
    expect(old.status).toBe(400);
    expect(old.html).toContain("A newer confirmation link replaced this one");

    const { subscriber, link } = await subscribeAndConfirm("left@example.com");
    await service.database.db.subscriber.update({ where: { id: subscriber.id }, data: { status: "unsubscribed" } });
    const gone = await new FormClient(service.baseUrl).get(link);
    expect(gone.status).toBe(400);
    expect(gone.html).toContain("expired or was already used");
  });

  it("expire after 48 hours", async () => {
    await subscribeJson({ email: "late@example.com", topics: ["math"] });
    const [mail] = await service.sink.waitFor(1, "late@example.com");
    const link = linkIn(mail!, "/confirm/");
    service.clock.now = new Date(Date.now() + 49 * 3600_000);
    try {
      const browser = new FormClient(service.baseUrl);
      expect((await browser.get(link)).status).toBe(400);
      expect((await subscriberByEmail("late@example.com"))!.status).toBe("pending");
    } finally {
      service.clock.now = new Date();
    }
  });

  it("reject a tampered token", async () => {
    await subscribeJson({ email: "tamper@example.com", topics: ["math"] });
    const [mail] = await service.sink.waitFor(1, "tamper@example.com");
    const link = linkIn(mail!, "/confirm/");
    const tampered = link.slice(0, -2) + (link.endsWith("A") ? "BB" : "AA");
    const browser = new FormClient(service.baseUrl);
    expect((await browser.get(tampered)).status).toBe(400);
    const page = await browser.get(link);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)![1]!;
    expect((await browser.post(new URL(tampered).pathname, { _csrf: csrf })).status).toBe(400);
    expect((await subscriberByEmail("tamper@example.com"))!.status).toBe("pending");
  });
});

describe("subscribing again while pending", () => {
  it("keeps only the newest confirmation link working", async () => {
    await subscribeJson({ email: "twice@example.com", topics: ["math"] });
    await subscribeJson({ email: "twice@example.com", topics: ["agents"] });
    const [first, second] = await service.sink.waitFor(2, "twice@example.com");
    const browser = new FormClient(service.baseUrl);
    expect((await browser.get(linkIn(first!, "/confirm/"))).status).toBe(400);
    const link = linkIn(second!, "/confirm/");
    expect((await browser.submit(link, new URL(link).pathname, {})).status).toBe(200);
    const subscriber = await subscriberByEmail("twice@example.com");
    expect(subscriber!.topics.map((t) => t.topic.slug)).toEqual(["agents"]);
  });
});

describe("signed manage and unsubscribe links", () => {
  it("reject tampered tokens and another purpose's token", async () => {
    const { subscriber } = await subscribeAndConfirm("signed@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const links = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const browser = new FormClient(service.baseUrl);
    expect((await browser.get(links.manageUrl)).status).toBe(200);
    const manageToken = links.manageUrl.split("/").pop()!;
    expect((await browser.get(`/unsubscribe/${manageToken}`)).status).toBe(400);
    // A different last character (a fixed "x" would equal the real one once in 64 runs).
    expect((await browser.get(`/manage/${manageToken.slice(0, -1)}${manageToken.endsWith("x") ? "y" : "x"}`)).status).toBe(400);
    const other = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: "another-secret-another-secret-another" }, subscriber.id);
    expect((await browser.get(other.manageUrl)).status).toBe(400);
    const oneClick = await fetch(`${service.baseUrl}/unsubscribe/${manageToken}`, { method: "POST", body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) });
    expect(oneClick.status).toBe(400);
    expect((await subscriberByEmail("signed@example.com"))!.status).toBe("active");
  });
});

describe("token spellings", () => {
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  /** The same bytes written differently: the unused low bits of a base64url string's last character set. */
  const otherSpellings = (part: string) => {
    const last = ALPHABET.indexOf(part.at(-1)!);
    const unusedBits = (part.length * 6) % 8;
    return Array.from({ length: (1 << unusedBits) - 1 }, (_, i) => part.slice(0, -1) + ALPHABET[last ^ (i + 1)]!);
  };

  it("accepts only the canonical base64url spelling of a signed link", async () => {
    const { subscriber } = await subscribeAndConfirm("spelling@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { manageUrl, unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    for (const url of [manageUrl, unsubscribeUrl]) {
      const { pathname } = new URL(url);
      const prefix = pathname.slice(0, pathname.lastIndexOf("/") + 1);
      const parts = pathname.slice(prefix.length).split(".");
      expect((await fetch(`${service.baseUrl}${pathname}`)).status).toBe(200);
      const variants = parts.flatMap((part, i) => otherSpellings(part).map((other) => parts.map((p, j) => (j === i ? other : p)).join(".")));
      expect(variants.length).toBeGreaterThanOrEqual(3);
      for (const token of variants) {
        // Each variant decodes to the same bytes as the real token...
        expect(token.split(".").map((p) => Buffer.from(p, "base64url").toString("hex"))).toEqual(parts.map((p) => Buffer.from(p, "base64url").toString("hex")));
        // ...and is refused.
        expect((await fetch(`${service.baseUrl}${prefix}${token}`)).status, token).toBe(400);
      }
    }
    expect((await subscriberByEmail("spelling@example.com"))!.status).toBe("active");
  });
});

describe("one-click unsubscribe (RFC 8058)", () => {
  for (const encoding of ["urlencoded", "multipart"] as const) {
    it(`unsubscribes at once on a cookieless ${encoding} POST and answers 200 without redirect`, async () => {
      const email = `oneclick-${encoding}@example.com`;
      const { subscriber } = await subscribeAndConfirm(email);
      const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
      const { unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
      const body = encoding === "urlencoded" ? new URLSearchParams({ "List-Unsubscribe": "One-Click" }) : (() => {
        const f = new FormData();
        f.append("List-Unsubscribe", "One-Click");
        return f;
      })();
      const res = await fetch(unsubscribeUrl, { method: "POST", body, redirect: "manual" });
      expect(res.status).toBe(200);
      expect((await subscriberByEmail(email))!.status).toBe("unsubscribed");
    });
  }

  it("answers 400, not 500, to a multipart body with a file in it", async () => {
    const { subscriber } = await subscribeAndConfirm("multipart-file@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const form = new FormData();
    form.append("List-Unsubscribe", "One-Click");
    form.append("file", new Blob(["x"]), "x.txt");
    expect((await fetch(unsubscribeUrl, { method: "POST", body: form })).status).toBe(400);
  });

  it("answers 400, not 500, to malformed bodies, and unsubscribes nobody", async () => {
    const { subscriber } = await subscribeAndConfirm("malformed-body@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const part = (boundary: string) => `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n`;
    const cases: [string, string, string | Buffer][] = [
      ["wrong boundary", "multipart/form-data; boundary=AAA", `${part("BBB")}--BBB--\r\n`],
      ["unterminated body", "multipart/form-data; boundary=XYZ", part("XYZ")],
      ["cut inside a part", "multipart/form-data; boundary=XYZ", `--XYZ\r\nContent-Disposition: form-data; name="List-Unsub`],
      ["no boundary", "multipart/form-data", `${part("XYZ")}--XYZ--\r\n`],
      ["empty boundary", "multipart/form-data; boundary=", "--\r\n"],
      ["garbage", "multipart/form-data; boundary=XYZ", Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80])],
      ["part without headers", "multipart/form-data; boundary=XYZ", "--XYZ\r\n\r\nOne-Click\r\n--XYZ--\r\n"],
      ["huge field", "multipart/form-data; boundary=XYZ", `--XYZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n${"x".repeat(50_000)}\r\n--XYZ--\r\n`],
      ["too many fields", "multipart/form-data; boundary=XYZ", `${Array.from({ length: 40 }, (_, i) => `--XYZ\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join("")}--XYZ--\r\n`],
      ["invalid UTF-8 in a field", "multipart/form-data; boundary=XYZ", Buffer.concat([Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne\u0000'), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from("\r\n--XYZ--\r\n")])],
      ["bad percent-encoding", "application/x-www-form-urlencoded", "List-Unsubscribe=%E0%A4%A"],
      ["unknown charset", "application/x-www-form-urlencoded; charset=klingon", "List-Unsubscribe=One-Click"],
      ["NUL and invalid UTF-8", "application/x-www-form-urlencoded", Buffer.concat([Buffer.from("List-Unsubscribe=One"), Buffer.from([0x00, 0xc3, 0x28])])],
    ];
    for (const [name, type, body] of cases) {
      const res = await fetch(unsubscribeUrl, { method: "POST", headers: { "content-type": type }, body });
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      // A well-formed body that is not a one-click request is a form post without its CSRF token: 403.
      if (type.startsWith("multipart") && !name.includes("in a field")) expect(res.status, name).toBe(400);
    }
    expect((await subscriberByEmail("malformed-body@example.com"))!.status).toBe("active");
  });

  it("GET shows a page and does not unsubscribe", async () => {
    const { subscriber } = await subscribeAndConfirm("getonly@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const res = await fetch(unsubscribeUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<button");
    expect((await subscriberByEmail("getonly@example.com"))!.status).toBe("active");
  });
});

describe("no account enumeration", () => {
  it("answers new, pending and active addresses the same way, and mails the active owner their manage link", async () => {
    await subscribeAndConfirm("active-enum@example.com");
    await subscribeJson({ email: "pending-enum@example.com", topics: ["math"] });
    await service.sink.waitFor(1, "pending-enum@example.com");

    const answers = await Promise.all(
      ["new-enum@example.com", "pending-enum@example.com", "active-enum@example.com"].map((email) => subscribeJson({ email, topics: ["agents"] })),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.json.status).toBe("pending");
      expect(answer.text).toBe(answers[0]!.text); // byte for byte the same, whatever the address's state
    }
    expect((await service.sink.waitFor(1, "new-enum@example.com"))[0]!.subject).toMatch(/Confirm/);
    expect((await service.sink.waitFor(2, "pending-enum@example.com"))[1]!.subject).toMatch(/Confirm/);
    const [, notice] = await service.sink.waitFor(2, "active-enum@example.com");
    expect(notice!.subject).toBe("Your Trending Papers Digest subscription");
    expect(linkIn(notice!, "/manage/")).toBeTruthy();
    // The active subscriber's topics were not changed by someone typing their address.
    const active = await subscriberByEmail("active-enum@example.com");
    expect(active!.topics.map((t) => t.topic.slug)).toEqual(["math"]);
  });

  it("shows no measurable timing difference between new, pending and active addresses", async () => {
    await subscribeAndConfirm("timing-active@example.com");
    await subscribeJson({ email: "timing-pending@example.com", topics: ["math"] });
    const rounds = 15;
    const times: Record<string, number[]> = { new: [], pending: [], active: [] };
    for (let i = 0; i < rounds; i++) {
      for (const [kind, email] of [["new", `timing-new-${i}@example.com`], ["pending", "timing-pending@example.com"], ["active", "timing-active@example.com"]] as const) {
        const start = performance.now();
        const res = await subscribeJson({ email, topics: ["agents"] });
        times[kind]!.push(performance.now() - start);
        expect(res.status).toBe(202);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const medians = Object.values(times).map(median);
    // Emails go out after the answer; the database work differs by a query at most.
    expect(Math.max(...medians) - Math.min(...medians)).toBeLessThan(15);
  });
});

describe("the confirmation cap", () => {
  it("sends at most 3 confirmation emails per address per day, with the same answer each time", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await subscribeJson({ email: "capped@example.com", topics: ["math"] });
      expect(res.status).toBe(202);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(service.sink.to("capped@example.com")).toHaveLength(3);
  });
});

describe("the confirmation cap per mailbox", () => {
  it("counts variants of one mailbox together: letter case, +tags, and dots where the provider ignores them", async () => {
    const variants = [
      "Cap.Reader@gmail.com", "capreader@gmail.com", "CAPREADER@GMAIL.COM", "c.a.p.r.e.a.d.e.r@gmail.com", "capreader+1@gmail.com",
      "cap.reader+news@gmail.com", "Cap.Reader+x@Gmail.com", "capreader@googlemail.com", "c.apreader+y@googlemail.com", "CapReader+z@gmail.com",
      "cap.reader+a@gmail.com", "cap.reader+b@gmail.com", "cap.reader+c@gmail.com", "ca.preader@gmail.com", "capr.eader@gmail.com", "capre.ader+q@gmail.com",
    ];
    for (const email of variants) expect((await subscribeJson({ email, topics: ["math"] })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    const typed = variants.map((v) => v.replace(/@.*/, (domain) => domain.toLowerCase()));
    const received = service.sink.received.filter((m) => typed.includes(m.to));
    expect(received).toHaveLength(3);
    // Stored and mailed exactly as typed (the domain lower-cased), not as the canonical mailbox.
    expect(received.map((m) => m.to)).toEqual(typed.slice(0, 3));
    expect(await subscriberByEmail("Cap.Reader@gmail.com")).toMatchObject({ email: "Cap.Reader@gmail.com" });
  });

  it("keeps dots significant at providers that do not ignore them, and other mailboxes apart", async () => {
    for (let i = 0; i < 4; i++) await subscribeJson({ email: `first.last+${i}@example.net`, topics: ["math"] });
    await subscribeJson({ email: "firstlast@example.net", topics: ["math"] });
    await subscribeJson({ email: "other.person@example.net", topics: ["math"] });
    await new Promise((r) => setTimeout(r, 500));
    expect(service.sink.received.filter((m) => m.to.startsWith("first.last"))).toHaveLength(3);
    expect(service.sink.to("firstlast@example.net")).toHaveLength(1);
    expect(service.sink.to("other.person@example.net")).toHaveLength(1);
  });

  it("holds under concurrent requests for variants of one mailbox", async () => {
    const variants = Array.from({ length: 12 }, (_, i) => `race.reader+${i}@gmail.com`);
    const answers = await Promise.all(variants.map((email) => subscribeJson({ email, topics: ["math"] })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(service.sink.received.filter((m) => variants.includes(m.to))).toHaveLength(3);
  });
});

describe("invalid input", () => {
  it.each([
    [{ topics: ["math"] }, "email"],
    [{ email: "not-an-email", topics: ["math"] }, "email"],
    [{ email: "a@example.com", topics: ["no-such-topic"] }, "topics"],
    [{ email: "a@example.com", topics: [] }, "topics"],
    [{ email: "a@example.com", topics: ["math"], timezone: "Mars/Olympus" }, "timezone"],
    [{ email: "a@example.com", topics: ["math"], sendHour: 24 }, "sendHour"],
    [{ email: "a@example.com", topics: ["math"], maxPapers: 11 }, "maxPapers"],
    [{ email: "a@example.com", topics: ["math"], keywords: ["   ", "!!!"] }, "keywords"],
    [{ email: "a@example.com", topics: ["math"], keywords: ["the of"] }, "keywords"],
    [{ email: "a@example.com", topics: ["math"], keywords: ["x".repeat(61)] }, "keywords"],
    [{ email: "a@example.com", topics: ["math"], keywords: Array.from({ length: 11 }, (_, i) => `word${i}`) }, "keywords"],
    [{ email: "a@example.com", topics: "math" }, "topics"],
  ])("answers 400 naming the field for %j", async (body, field) => {
    const res = await subscribeJson(body);
    expect(res.status).toBe(400);
    expect(res.json.fields.some((f: { field: string }) => f.field === field || f.field.startsWith(`${field}.`))).toBe(true);
  });

  it.each([null, true, [], "", "7", "0x7", "1e1", " 7", 7.5, { hour: 7 }].map((v) => [v]))("rejects sendHour %j (JSON numbers only) with 400 naming the field, storing nothing", async (sendHour) => {
    const email = `hour-${Math.random().toString(36).slice(2)}@example.com`;
    const res = await subscribeJson({ email, topics: ["math"], sendHour });
    expect(res.status).toBe(400);
    expect(res.json.fields.map((f: { field: string }) => f.field)).toEqual(["sendHour"]);
    expect(await subscriberByEmail(email)).toBeNull();
  });

  it.each([null, false, [5], "", "5", "0x5", "5e0"].map((v) => [v]))("rejects maxPapers %j with 400 naming the field", async (maxPapers) => {
    const res = await subscribeJson({ email: "papers-type@example.com", topics: ["math"], maxPapers });
    expect(res.status).toBe(400);
    expect(res.json.fields.map((f: { field: string }) => f.field)).toEqual(["maxPapers"]);
  });

  it("takes the delivery hour and paper count as JSON numbers, and defaults them when absent", async () => {
    expect((await subscribeJson({ email: "typed@example.com", topics: ["math"], sendHour: 0, maxPapers: 10 })).status).toBe(202);
    expect(await subscriberByEmail("typed@example.com")).toMatchObject({ sendHour: 0, maxPapers: 10 });
    expect((await subscribeJson({ email: "defaults@example.com", topics: ["math"] })).status).toBe(202);
    expect(await subscriberByEmail("defaults@example.com")).toMatchObject({ sendHour: 7, maxPapers: 5 });
  });

  it.each(["0x7", "1e1", "7.0", "+7", " 7", "", "seven"])("rejects the form's sendHour %j with 400 naming the field", async (sendHour) => {
    const browser = new FormClient(service.baseUrl);
    const res = await browser.submit("/", "/subscribe", { email: "form-hour@example.com", topics: ["math"], sendHour, maxPapers: "5" });
    expect(res.status).toBe(400);
    expect(res.html).toContain("a whole hour from 0 to 23");
    expect(await subscriberByEmail("form-hour@example.com")).toBeNull();
  });

  it.each([
    ["a@b-.com", "a label ending in a dash"],
    ["a@-b.com", "a label starting with a dash"],
    [`a@${"l".repeat(64)}.com`, "a 64-character domain label"],
    [`${"l".repeat(65)}@example.com`, "a 65-character local part"],
    [`a@${Array.from({ length: 5 }, () => "d".repeat(60)).join(".")}.com`, "a domain over 253 characters"],
    ["a@b_c.com", "an underscore in the domain"],
    ["a@example.123", "a numeric top-level domain"],
    ["a\u202e@example.com", "a right-to-left override"],
    ["a@example.com\u0085", "a C1 control"],
  ])("rejects the address %s (%s) with 400 naming email", async (email) => {
    const res = await subscribeJson({ email, topics: ["math"] });
    expect(res.status).toBe(400);
    expect(res.json.fields.map((f: { field: string }) => f.field)).toEqual(["email"]);
  });

  it("accepts addresses at the RFC 5321 limits", async () => {
    const longest = `${"l".repeat(64)}@${"d".repeat(63)}.example.com`;
    expect((await subscribeJson({ email: longest, topics: ["math"] })).status).toBe(202);
    expect(await subscriberByEmail(longest)).not.toBeNull();
    expect((await subscribeJson({ email: "first.last+tag@xn--bcher-kva.example", topics: ["math"] })).status).toBe(202);
  });

  it.each([
    ["\u0085", "NEL (C1)"],
    ["\u009b", "CSI (C1)"],
    ["\u202e", "right-to-left override"],
    ["\u202a", "left-to-right embedding"],
    ["\u2066", "left-to-right isolate"],
    ["\u2069", "pop directional isolate"],
    ["\u200f", "right-to-left mark"],
    ["\u200e", "left-to-right mark"],
    ["\u001b", "escape (C0)"],
    ["\u0000", "NUL"],
  ])("rejects a keyword holding %j (%s) with 400 naming keywords, on the API and the form", async (char) => {
    const email = `bidi-${char.codePointAt(0)}@example.com`;
    const res = await subscribeJson({ email, topics: ["math"], keywords: [`evil${char}gnidoc`] });
    expect(res.status).toBe(400);
    expect(res.json.fields[0].field).toMatch(/^keywords/);
    const browser = new FormClient(service.baseUrl);
    const form = await browser.submit("/", "/subscribe", { email, topics: ["math"], keywords: `fine, evil${char}gnidoc` });
    expect(form.status).toBe(400);
    expect(await subscriberByEmail(email)).toBeNull();
  });

  it("stores a time-zone alias under its canonical name", async () => {
    expect((await subscribeJson({ email: "alias@example.com", topics: ["math"], timezone: "US/Eastern" })).status).toBe(202);
    expect((await subscriberByEmail("alias@example.com"))!.timezone).toBe("America/New_York");
  });

  it("answers 400, not 500, to control characters in a topic slug", async () => {
    const res = await subscribeJson({ email: "nul@example.com", topics: ["math\u0000"] });
    expect(res.status).toBe(400);
    expect(res.json.fields[0].field).toMatch(/^topics/);
  });

  it("answers 400 to malformed JSON, never 500", async () => {
    const res = await postJson(`${service.baseUrl}/api/subscriptions`, "{not json");
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_input");
  });

  it("answers 400 naming the body when the API gets no JSON (wrong content type, form data, invalid UTF-8, NUL)", async () => {
    const valid = JSON.stringify({ email: "ctype@example.com", topics: ["math"] });
    const cases: [string, string | Buffer][] = [
      ["text/plain", valid],
      ["application/x-www-form-urlencoded", "email=ctype%40example.com&topics=math"],
      ["multipart/form-data; boundary=X", `--X\r\nContent-Disposition: form-data; name="email"\r\n\r\nctype@example.com\r\n--X--\r\n`],
      ["application/json; charset=klingon", valid],
      ["application/json", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
      ["application/json", '{"email":"ctype@example.com\u0000","topics":["math"]}'],
      ["application/json", "[1,2,3]"],
      ["application/json", '"just a string"'],
      ["application/json", ""],
    ];
    for (const [type, body] of cases) {
      const res = await fetch(`${service.baseUrl}/api/subscriptions`, { method: "POST", headers: { "content-type": type }, body });
      const json = (await res.json()) as { error: string; fields?: { field: string }[] };
      expect(res.status, `${type} ${String(body).slice(0, 20)}`).toBe(400);
      expect(json.error).toBe("invalid_input");
      expect(json.fields?.length, type).toBeGreaterThan(0);
    }
    const noType = await fetch(`${service.baseUrl}/api/subscriptions`, { method: "POST", body: valid, headers: { "content-type": "" } });
    expect(noType.status).toBe(400);
    expect(((await noType.json()) as { fields: { field: string; message: string }[] }).fields[0]).toMatchObject({ field: "body", message: expect.stringMatching(/application\/json/) });
    expect(await subscriberByEmail("ctype@example.com")).toBeNull();
  });

  it("answers 400 to a body over the size limit", async () => {
    const res = await subscribeJson({ email: "a@example.com", topics: ["math"], pad: "x".repeat(20_000) });
    expect(res.status).toBe(400);
  });

  it("rejects header injection in the address", async () => {
    for (const email of ["victim@example.com\r\nBcc: other@example.com", "victim@example.com\nSubject: hi"]) {
      const res = await subscribeJson({ email, topics: ["math"] });
      expect(res.status).toBe(400);
      expect(res.json.fields[0].field).toBe("email");
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(service.sink.received.filter((m) => m.to.startsWith("victim") || m.to.startsWith("other"))).toHaveLength(0);
  });

  it("keeps the form values and names the field on the HTML form", async () => {
    const browser = new FormClient(service.baseUrl);
    const res = await browser.submit("/", "/subscribe", { email: "bad@", topics: ["math"], keywords: "kept keyword" });
    expect(res.status).toBe(400);
    expect(res.html).toContain("not a valid email address");
    expect(res.html).toContain('value="kept keyword"');
  });
});

describe("the per-IP limit", () => {
  it("answers 429 once an address has sent too many subscribe requests, on the API and the form", async () => {
    const limited = await startTestService({ SUBSCRIBE_LIMIT_PER_IP: "3" });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await postJson(`${limited.baseUrl}/api/subscriptions`, { email: `ip${i}@example.com`, topics: ["math"] })).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
      const form = await new FormClient(limited.baseUrl).submit("/", "/subscribe", { email: "ip9@example.com", topics: ["math"] });
      expect(form.status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("is off with RATE_LIMIT_DISABLED=1", async () => {
    const unlimited = await startTestService({ SUBSCRIBE_LIMIT_PER_IP: "1", RATE_LIMIT_DISABLED: "1" });
    try {
      for (let i = 0; i < 3; i++) expect((await postJson(`${unlimited.baseUrl}/api/subscriptions`, { email: `u${i}@example.com`, topics: ["math"] })).status).toBe(202);
    } finally {
      await unlimited.close();
    }
  });
});

describe("CSRF", () => {
  it("rejects a form post without a token, or with another visitor's token", async () => {
    const res = await fetch(`${service.baseUrl}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "csrf@example.com", topics: "math" }),
    });
    expect(res.status).toBe(403);
    const visitor = new FormClient(service.baseUrl);
    const token = /name="_csrf" value="([^"]+)"/.exec((await visitor.get("/")).html)![1]!;
    const attacker = new FormClient(service.baseUrl);
    expect((await attacker.post("/subscribe", { _csrf: token, email: "csrf@example.com", topics: "math" })).status).toBe(403);
    expect(await subscriberByEmail("csrf@example.com")).toBeNull();
  });
});

describe("Origin checks on form posts", () => {
  const FOREIGN: Record<string, string>[] = [
    { origin: "https://evil.example" },
    { origin: "null", "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site" },
    { referer: "https://evil.example/page" },
    { origin: "https://evil.example", "sec-fetch-site": "same-origin" },
  ];

  it("refuses a form post from another site even with a valid CSRF cookie and token", async () => {
    const visitor = new FormClient(service.baseUrl);
    const token = csrfTokenIn((await visitor.get("/")).html);
    for (const headers of FOREIGN) {
      const res = await visitor.post("/subscribe", { _csrf: token, email: "origin@example.com", topics: "math" }, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await subscriberByEmail("origin@example.com")).toBeNull();
    const own = await visitor.post("/subscribe", { _csrf: token, email: "origin@example.com", topics: "math" }, { origin: service.baseUrl, "sec-fetch-site": "same-origin" });
    expect(own.status).toBe(303);
  });

  it("guards the confirmation, preference and unsubscribe forms the same way", async () => {
    const { subscriber } = await subscribeAndConfirm("origin-manage@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { manageUrl, unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const browser = new FormClient(service.baseUrl);
    const token = csrfTokenIn((await browser.get(manageUrl)).html);
    const managePath = new URL(manageUrl).pathname;
    for (const action of [managePath, `${managePath}/pause`, `${managePath}/delete`, new URL(unsubscribeUrl).pathname]) {
      const res = await browser.post(action, { _csrf: token, topics: "agents" }, { origin: "https://evil.example" });
      expect(res.status, action).toBe(403);
    }
    const after = await subscriberByEmail("origin-manage@example.com");
    expect(after).toMatchObject({ status: "active" });
    expect(after!.topics.map((t) => t.topic.slug)).toEqual(["math"]);

    await subscribeJson({ email: "origin-confirm@example.com", topics: ["math"] });
    const [mail] = await service.sink.waitFor(1, "origin-confirm@example.com");
    const link = linkIn(mail!, "/confirm/");
    const confirmToken = csrfTokenIn((await browser.get(link)).html);
    expect((await browser.post(new URL(link).pathname, { _csrf: confirmToken }, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await subscriberByEmail("origin-confirm@example.com"))!.status).toBe("pending");
  });

  it("accepts RFC 8058 one-click unsubscribes from any origin", async () => {
    const { subscriber } = await subscribeAndConfirm("origin-oneclick@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const res = await fetch(unsubscribeUrl, {
      method: "POST",
      headers: { origin: "https://mail.provider.example", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }),
    });
    expect(res.status).toBe(200);
    expect((await subscriberByEmail("origin-oneclick@example.com"))!.status).toBe("unsubscribed");
  });
});

describe("escaping", () => {
  it("escapes keywords in the preference center and in emails", async () => {
    const xss = `<script>alert("x")</script> attention`;
    await subscribeJson({ email: "xss@example.com", topics: ["math"], keywords: [xss] });
    const [mail] = await service.sink.waitFor(1, "xss@example.com");
    // The confirmation email goes to an address anyone can type: it names no keyword at all.
    expect(mail!.html).not.toContain("alert(");
    expect(mail!.text).not.toContain("alert(");
    expect(mail!.text).toContain("1 keyword of your own");
    const browser = new FormClient(service.baseUrl);
    await browser.submit(linkIn(mail!, "/confirm/"), new URL(linkIn(mail!, "/confirm/")).pathname, {});
    const subscriber = await subscriberByEmail("xss@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const page = await browser.get(subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber!.id).manageUrl);
    expect(page.html).not.toContain("<script>alert");
    expect(page.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; attention");
  });
});

describe("deleting all data", () => {
  it("first shows what will be deleted and deletes nothing; only the confirmation deletes", async () => {
    const { subscriber } = await subscribeAndConfirm("delete-ask@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { manageUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const browser = new FormClient(service.baseUrl);
    const manage = await browser.get(manageUrl);
    expect(manage.html).toContain(`href="${new URL(manageUrl).pathname}/delete"`); // a link to the question, not a form
    const page = await browser.get(`${manageUrl}/delete`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Delete all your data?");
    expect(page.html).toMatch(/your address.*your preferences: 1 topic, 0 keywords.*records of your consent.*0 emails we sent you.*0 “more \/ less like this” choices/s);
    expect(page.headers.get("cache-control")).toContain("no-store");
    // A delete POST without the confirmation (the old one-click button) only asks.
    const unconfirmed = await browser.post(`${new URL(manageUrl).pathname}/delete`, { _csrf: csrfTokenIn(page.html) });
    expect(unconfirmed.status).toBe(200);
    expect(unconfirmed.html).toContain("Delete all your data?");
    expect(await subscriberByEmail("delete-ask@example.com")).not.toBeNull();
    const wrong = await browser.post(`${new URL(manageUrl).pathname}/delete`, { _csrf: csrfTokenIn(page.html), confirm: "yes" });
    expect(wrong.html).toContain("Delete all your data?");
    expect(await subscriberByEmail("delete-ask@example.com")).not.toBeNull();
  });

  it("removes the subscriber, and their links stop working", async () => {
    const { subscriber } = await subscribeAndConfirm("delete-me@example.com");
    const { subscriberLinks } = await import("../../src/subscriptions/links.ts");
    const { manageUrl, unsubscribeUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: service.config.appSecret! }, subscriber.id);
    const browser = new FormClient(service.baseUrl);
    const res = await browser.submit(`${manageUrl}/delete`, `${new URL(manageUrl).pathname}/delete`, { confirm: "delete" });
    expect(res.html).toContain("Your data is deleted");
    expect(await subscriberByEmail("delete-me@example.com")).toBeNull();
    expect(await service.database.db.confirmationToken.count({ where: { subscriberId: subscriber.id } })).toBe(0);
    expect((await browser.get(manageUrl)).status).toBe(400);
    expect((await browser.get(unsubscribeUrl)).status).toBe(400);
  });
});

describe("topics API", () => {
  it("lists the 14 topics with slug, name and description", async () => {
    const res = await fetch(`${service.baseUrl}/api/topics`);
    const body = (await res.json()) as { topics: { slug: string; name: string; description: string }[] };
    expect(body.topics).toHaveLength(14);
    expect(body.topics[0]).toEqual({ slug: "reasoning", name: "Reasoning & Chain-of-Thought", description: expect.any(String) });
  });
});

describe("security headers", () => {
  it("sets CSP, no-sniff and frame protections on pages", async () => {
    const res = await fetch(`${service.baseUrl}/`);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("marks the CSRF cookie Secure with the __Host- prefix when the base URL is https", async () => {
    const secure = await startTestService({ PUBLIC_BASE_URL: "https://digest.example.com" });
    try {
      const cookie = (await fetch(`${secure.baseUrl}/`)).headers.getSetCookie().join("\n");
      expect(cookie).toMatch(/^__Host-tpd\.csrf=[^;]+;.*Path=\/;.*HttpOnly;.*Secure;.*SameSite=Strict/);
      expect(cookie).not.toMatch(/Domain=/i);
    } finally {
      await secure.close();
    }
    const plain = (await fetch(`${service.baseUrl}/`)).headers.getSetCookie().join("\n");
    expect(plain).toMatch(/^tpd\.csrf=/);
    expect(plain).not.toMatch(/Secure/);
  });
});
