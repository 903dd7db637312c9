import type { ParseArgsConfig } from "node:util";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";

export interface CommandContext {
  config: Config;
  log: Logger;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

export interface Command {
  summary: string;
  usage?: string;
  options?: ParseArgsConfig["options"];
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}
