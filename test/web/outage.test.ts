// The database goes away while the app runs: a real PostgreSQL of this test's own, stopped and started again.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { ensureDatabase, MIGRATIONS_DIR, SCHEMA_PATH } from "../../src/db/database.ts";
import { type EmbeddedServer, startEmbeddedPostgres, withDatabase } from "../../src/db/embedded.ts";
import { applyMigrations } from "../../src/db/migrate.ts";
import { subscriberLinks } from "../../src/subscriptions/links.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { eventually } from "../support/digest.ts";
import { csrfTokenIn, FormClient, postJson } from "../support/http.ts";
import { captureLog } from "../support/log-capture.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";

// Not mkdtemp: run as root, PostgreSQL runs as the postgres user, which must be able to reach the folder.
const dataDir = path.join(os.tmpdir(), `tpd-outage-${process.pid}-${Date.now()}`);
let port: number;
let server: EmbeddedServer;
let service: TestService;
const { lines, log } = captureLog("info");

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const startPostgres = () => startEmbeddedPostgres({ dataDir, port, persistent: true });

beforeAll(async () => {
  port = await freePort();
  server = await startPostgres();
  await ensureDatabase(server.url, "outage");
  const url = withDatabase(server.url, "outage");
  await applyMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
  const db = createDb(url);
  await syncTopics(db);
  service = await startTestService({}, { log, database: { url, db, drop: async () => {} } });
}, 120_000);

afterAll(async () => {
  await service?.close();
  await service?.database.db.$disconnect();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const warnings = (pattern: RegExp) => lines.filter((l) => l.level === 40 && pattern.test(String(l.msg)));

describe("while the database is down", () => {
  it("answers 503 with Retry-After, keeps what the reader typed, logs the outage once, and recovers by itself", async () => {
    const reader = await service.database.db.subscriber.create({ data: { email: "outage-reader@example.com", status: "active", keywords: [] } });
    const { manageUrl } = subscriberLinks({ publicBaseUrl: service.baseUrl, appSecret: TEST_SECRET }, reader.id);
    const browser = new FormClient(service.baseUrl);
    const csrf = csrfTokenIn((await browser.get("/")).html);
    expect((await fetch(`${service.baseUrl}/readyz`)).status).toBe(200);

    await server.stop();

    for (let round = 0; round < 3; round++) {
      for (const pagePath of ["/", "/papers", "/papers/1", new URL(manageUrl).pathname]) {
        const res = await fetch(`${service.baseUrl}${pagePath}`);
        expect(res.status, pagePath).toBe(503);
        expect(res.headers.get("retry-after"), pagePath).toBe("60");
        expect(await res.text(), pagePath).toContain("try again in a minute");
      }
      const topics = await fetch(`${service.baseUrl}/api/topics`);
      expect(topics.status).toBe(503);
      expect(await topics.json()).toMatchObject({ error: "unavailable" });

      const api = await postJson(`${service.baseUrl}/api/subscriptions`, { email: "during-outage@example.com", topics: ["math"] });
      expect(api.status).toBe(503);
      expect(api.json).toEqual({ error: "unavailable", message: expect.stringMatching(/nothing was saved.*try again in a minute/i) });

      const form = await browser.post("/subscribe", { _csrf: csrf, email: "form-outage@example.com", topics: ["agents"], keywords: "protein folding", sendHour: "9", maxPapers: "4" });
      expect(form.status).toBe(503);
      expect(form.headers.get("retry-after")).toBe("60");
      expect(form.html).toContain("press Subscribe again in a minute");
      expect(form.html).toContain('value="form-outage@example.com"');
      expect(form.html).toContain('value="protein folding"');
      expect(form.html).toMatch(/value="agents" checked/);

      // Not ready (a load balancer stops sending traffic), but alive: restarting the app would not bring PostgreSQL back.
      const ready = await fetch(`${service.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get("retry-after")).toBe("60");
      expect(await ready.json()).toEqual({ status: "unavailable", database: "unreachable" });
      expect((await fetch(`${service.baseUrl}/healthz`)).status).toBe(200);
      // Pages that need no database still work.
      expect((await fetch(`${service.baseUrl}/check-inbox`)).status).toBe(200);
    }

    expect(warnings(/^database unreachable/)).toHaveLength(1);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
    const manageToken = new URL(manageUrl).pathname.split("/").pop()!;
    expect(JSON.stringify(lines)).not.toContain(manageToken);

    server = await startPostgres();
    await eventually(async () => (await fetch(`${service.baseUrl}/readyz`)).status === 200, 20_000);
    await eventually(() => warnings(/^database reachable again/).length === 1, 10_000);
    // The end of the outage is nobody's request, and carries no other line's fields.
    expect(warnings(/^database reachable again/)[0]).not.toHaveProperty("reqId");
    expect(warnings(/^database reachable again/)[0]).not.toHaveProperty("res");
    expect(warnings(/^database reachable again/)[0]).toMatchObject({ requestsTurnedAway: expect.any(Number), outageSeconds: expect.any(Number) });
    expect((await fetch(`${service.baseUrl}/`)).status).toBe(200);
    const again = await browser.post("/subscribe", { _csrf: csrf, email: "form-outage@example.com", topics: ["agents"] });
    expect(again.status).toBe(303);
    await service.sink.waitFor(1, "form-outage@example.com");
    expect(warnings(/^database unreachable/)).toHaveLength(1);
    expect(warnings(/^database reachable again/)).toHaveLength(1);
    expect(await service.database.db.subscriber.findUnique({ where: { email: "during-outage@example.com" } })).toBeNull();
  });
});
