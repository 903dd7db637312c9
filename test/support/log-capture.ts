// A logger whose JSON lines the test reads back.
import { Writable } from "node:stream";
import { createLogger, type LogLevel } from "../../src/log.ts";

export function captureLog(level: LogLevel = "debug") {
  const lines: Record<string, unknown>[] = [];
  /** The lines as written (JSON.parse would hide a key written twice). */
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) {
        if (!line.trim()) continue;
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { lines, raw, log: createLogger(level, { destination: stream }) };
}
