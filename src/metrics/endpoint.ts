// GET /metrics: on the app's port behind a bearer token (METRICS_TOKEN), and on a separate port (METRICS_PORT,
// loopback by default) that send workers open too, so every process can be scraped.
import { createHash, timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.ts";
import type { Metrics } from "./metrics.ts";

/** Answers a scrape; with a token, only a request that carries it (Authorization: Bearer <token>). */
export function metricsHandler(metrics: Pick<Metrics, "render" | "contentType">, opts: { token?: string; log: Logger }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("Cache-Control", "no-store");
    if (opts.token !== undefined && !bearerMatches(req.headers.authorization, opts.token)) {
      res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain; charset=utf-8" }).end("A bearer token is required (METRICS_TOKEN).\n");
      return;
    }
    metrics.render().then(
      (body) => res.writeHead(200, { "Content-Type": metrics.contentType }).end(req.method === "HEAD" ? undefined : body),
      (err) => {
        opts.log.error({ err }, "metrics: rendering a scrape failed");
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end("metrics unavailable\n");
      },
    );
  };
}

/** Constant time over hashes, so neither the token's content nor its length leaks through timing. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1] ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** A small server of its own: /metrics and a liveness /healthz, nothing else. */
export async function serveMetrics(metrics: Pick<Metrics, "render" | "contentType">, opts: { host: string; port: number; token?: string; log: Logger }): Promise<MetricsServer> {
  const scrape = metricsHandler(metrics, opts);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if ((req.method === "GET" || req.method === "HEAD") && path === "/metrics") return scrape(req, res);
    if ((req.method === "GET" || req.method === "HEAD") && path === "/healthz") return void res.writeHead(200, { "Content-Type": "application/json" }).end('{"status":"ok"}');
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  opts.log.info(`metrics: ${url}/metrics${opts.token ? " (bearer token required)" : ""}`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
