// `npm start` and `npm run cli`: which code runs. NODE_ENV=production (from the environment, or .env like every other
// setting) runs the compiled build in dist/ with plain node; anything else runs the TypeScript sources through tsx
// (a development dependency), so `npm install && npm start` needs no build step.
// Plain JavaScript on purpose: it must run before anything is compiled, and without tsx.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ENTRIES = { main: "src/main", cli: "src/cli/index" };

const entry = ENTRIES[process.argv[2]];
if (!entry) {
  console.error(`usage: node src/launch.js ${Object.keys(ENTRIES).join("|")} [arguments]`);
  process.exit(2);
}
// The entry reads its own arguments from process.argv.slice(2), as if started directly.
process.argv.splice(2, 1);

if ((await nodeEnv()) === "production") {
  const compiled = path.join(ROOT, "dist", `${entry}.js`);
  if (!fs.existsSync(compiled)) {
    console.error(`NODE_ENV=production runs the compiled build, and ${path.relative(ROOT, compiled)} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
  warnIfStale(compiled);
  // Stack traces name the TypeScript files and lines (dist/ carries source maps).
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(compiled).href);
} else {
  let register;
  try {
    ({ register } = await import("tsx/esm/api"));
  } catch {
    console.error("Running the TypeScript sources needs the development dependencies (`npm install`). For the compiled build: `npm run build`, then NODE_ENV=production.");
    process.exit(1);
  }
  register();
  await import(pathToFileURL(path.join(ROOT, `${entry}.ts`)).href);
}

/** NODE_ENV as the config will see it: the environment wins over .env. */
async function nodeEnv() {
  if (process.env.NODE_ENV !== undefined) return process.env.NODE_ENV;
  const file = path.join(ROOT, ".env");
  if (!fs.existsSync(file)) return undefined;
  const { default: dotenv } = await import("dotenv");
  return dotenv.parse(fs.readFileSync(file)).NODE_ENV;
}

/** A build older than the sources it came from runs yesterday's code: say so (it still starts). */
function warnIfStale(compiled) {
  const builtAt = fs.statSync(compiled).mtimeMs;
  const newer = ["src", "jobs"].flatMap((dir) => fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .filter((file) => fs.statSync(file).mtimeMs > builtAt);
  if (newer.length) console.error(`warning: ${newer.length} source file(s) changed after the build in dist/ (e.g. ${path.relative(ROOT, newer[0])}): run \`npm run build\` to run them`);
}
