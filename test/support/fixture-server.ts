// A local HTTP server standing in for Hugging Face and arXiv: each test says what it answers (fixtures written for
// these tests), including failures a real upstream has — 500s, 429 with Retry-After, silence, cut connections,
// endless bodies. It records every request so tests can check what our fetcher sent and when.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FixtureRequest {
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface FixtureReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the client's timeout must end it). */
  hang?: boolean;
  /** Send the headers (with the full Content-Length) and this many bytes of the body, then cut the connection. */
  cutAfterBytes?: number;
  /** Send the headers and this many bytes of the body, then nothing more (the connection stays open). */
  stallAfterBytes?: number;
  /** Stream this chunk again and again, without Content-Length, until the client hangs up. */
  endless?: Buffer;
}

export type FixtureHandler = (req: FixtureRequest) => FixtureReply | Promise<FixtureReply>;

export interface FixtureServer {
  url: string;
  requests: FixtureRequest[];
  /** Bytes of endless bodies written before the client hung up. */
  endlessBytesSent: number;
  handle(handler: FixtureHandler): void;
  close(): Promise<void>;
}

export async function startFixtureServer(initial: FixtureHandler = () => ({ status: 404 })): Promise<FixtureServer> {
  let handler = initial;
  const sockets = new Set<Socket>();
  const state: FixtureServer = {
    url: "",
    requests: [],
    endlessBytesSent: 0,
    handle: (h) => {
      handler = h;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fixture");
    const request: FixtureRequest = { path: url.pathname, query: url.searchParams, headers: req.headers, at: Date.now() };
    state.requests.push(request);
    const reply = await handler(request);
    if (reply.hang) return; // the socket stays open until the client gives up or the server closes
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    const body = typeof reply.body === "string" ? Buffer.from(reply.body) : (reply.body ?? Buffer.alloc(0));
    if (reply.endless) {
      res.writeHead(reply.status ?? 200, reply.headers);
      const chunk = reply.endless;
      const pump = () => {
        while (!res.destroyed) {
          state.endlessBytesSent += chunk.length;
          if (!res.write(chunk)) break;
        }
        if (!res.destroyed) res.once("drain", pump);
      };
      res.on("close", () => res.removeAllListeners("drain"));
      pump();
      return;
    }
    res.writeHead(reply.status ?? 200, { "content-length": String(body.length), ...reply.headers });
    if (reply.stallAfterBytes !== undefined) {
      res.write(body.subarray(0, reply.stallAfterBytes));
      return;
    }
    if (reply.cutAfterBytes !== undefined) {
      res.write(body.subarray(0, reply.cutAfterBytes), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
