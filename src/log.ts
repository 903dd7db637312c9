// Plain line logger with levels; output goes to stderr so CLI results on stdout stay clean.
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const at = (lvl: LogLevel) => (msg: string) => {
    if (ORDER[lvl] >= ORDER[level]) write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${msg}`);
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: (msg, err) => at("error")(err ? `${msg}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` : msg),
  };
}
