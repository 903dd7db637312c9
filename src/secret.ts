// APP_SECRET signs links. Production must set it; in development one is generated once and kept, so links in
// caught emails keep working across restarts.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type Config, PROJECT_ROOT } from "./config.ts";
import type { Logger } from "./log.ts";

export function resolveAppSecret(config: Config, log: Logger, file = path.join(PROJECT_ROOT, ".data", "app-secret")): string {
  if (config.appSecret) return config.appSecret;
  if (config.production) throw new Error("APP_SECRET is required in production");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const secret = randomBytes(32).toString("hex");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  log.warn(`APP_SECRET is not set: generated a development secret in ${path.relative(PROJECT_ROOT, file)}`);
  return secret;
}
