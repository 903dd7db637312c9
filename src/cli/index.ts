// `npm run cli -- <command>`: operator commands. Each command lives in its own file.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { commands } from "./commands.ts";

async function run(argv: string[]) {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    printHelp(name);
    return name && name !== "help" && name !== "--help" ? 2 : 0;
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, { format: config.logFormat });
  const args = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  return command.run({ config, log, positionals: args.positionals, values: args.values as Record<string, string | boolean | undefined> });
}

function printHelp(unknown?: string) {
  if (unknown && unknown !== "help" && unknown !== "--help") console.error(`Unknown command: ${unknown}\n`);
  console.log("Usage: npm run cli -- <command> [options]\n\nCommands:");
  for (const [name, c] of Object.entries(commands)) console.log(`  ${c.usage ?? name}\n      ${c.summary}`);
}

run(process.argv.slice(2))
  .then((code) => process.exit(code ?? 0))
  .catch((err) => {
    if (err instanceof ConfigError || (err as { code?: string } | undefined)?.code?.startsWith("ERR_PARSE_ARGS")) console.error((err as Error).message);
    else console.error(err instanceof Error ? (process.env.DEBUG ? err.stack : err.message) : `unexpected failure: ${String(err)}`);
    process.exit(1);
  });
