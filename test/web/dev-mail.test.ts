// /dev/mail shows every caught email, confirmation links included: only someone on this machine may read it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackClient } from "../../src/web/dev-mail.ts";
import { postJson } from "../support/http.ts";
import { startTestService, type TestService } from "../support/service.ts";

let service: TestService;
beforeAll(async () => {
  service = await startTestService({}, { devMail: true });
});
afterAll(async () => {
  await service?.close();
});

describe("the development mail catcher's pages", () => {
  it("are served to a browser on this machine", async () => {
    await postJson(`${service.baseUrl}/api/subscriptions`, { email: "local@example.com", topics: ["math"] });
    await expect.poll(() => service.catcher!.messages().length).toBe(1);
    const res = await fetch(`${service.baseUrl}/dev/mail`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Confirm your");
    expect((await fetch(`${service.baseUrl}/dev/mail/1`)).status).toBe(200);
  });

  it("are not found for a client elsewhere on the network, also through a reverse proxy on this machine", async () => {
    for (const path of ["/dev/mail", "/dev/mail/1", "/dev/mail/1/html"]) {
      // TRUST_PROXY=loopback: a proxy here forwarding a remote client's request.
      const res = await fetch(`${service.baseUrl}${path}`, { headers: { "x-forwarded-for": "203.0.113.9" } });
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain("Confirm your");
    }
  });

  it("tells loopback clients from others by the socket and by the forwarded address", () => {
    const client = (remoteAddress: string, ip = remoteAddress) => ({ socket: { remoteAddress }, ip });
    expect(isLoopbackClient(client("127.0.0.1"))).toBe(true);
    expect(isLoopbackClient(client("::1"))).toBe(true);
    expect(isLoopbackClient(client("::ffff:127.0.0.1"))).toBe(true);
    expect(isLoopbackClient(client("192.168.1.20"))).toBe(false);
    expect(isLoopbackClient(client("10.0.0.5"))).toBe(false);
    expect(isLoopbackClient(client("::ffff:192.0.2.1"))).toBe(false);
    expect(isLoopbackClient(client("127.0.0.1", "198.51.100.4"))).toBe(false);
    expect(isLoopbackClient(client("198.51.100.4", "127.0.0.1"))).toBe(false);
  });
});
