// The HTTP server of `npm start`. It takes its port first, before the database and the jobs start, so a port that is
// already taken (another program, or a second `npm start`) stops the start at once with one clear line instead of a
// process that runs without a web server. Until the app is ready, the caller's `starting` listener answers (main.ts:
// /healthz and /readyz; everything else 503 "starting").
import http, { type RequestListener, type Server } from "node:http";

export class StartupError extends Error {}

export interface ReservedServer {
  server: Server;
  /** Hands the port to the application. */
  serve(app: RequestListener): void;
}

/** `starting` answers until `serve` hands the port to the app (by default a 503 "starting"). */
export function reservePort(port: number, host: string, starting: RequestListener = startingAnswer): Promise<ReservedServer> {
  const server = http.createServer(starting);
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(listenError(err, port, host));
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve({
        server,
        serve(app) {
          server.off("request", starting);
          server.on("request", app);
        },
      });
    });
  });
}

const startingAnswer: RequestListener = (_req, res) => {
  res.writeHead(503, { "Retry-After": "5", "Content-Type": "text/plain; charset=utf-8" });
  res.end("Starting, please try again in a few seconds.\n");
};

function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  if (err.code === "EADDRINUSE") return new StartupError(`Cannot start: port ${port} on ${host} is already in use (is the app already running?). Stop the other process or set PORT.`);
  if (err.code === "EACCES") return new StartupError(`Cannot start: not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges). Set PORT to a higher port.`);
  if (err.code === "EADDRNOTAVAIL") return new StartupError(`Cannot start: ${host} is not an address of this machine. Set HOST (0.0.0.0 for every address).`);
  return new StartupError(`Cannot start: listening on ${host}:${port} failed (${err.code ?? err.message}).`);
}
