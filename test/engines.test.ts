// The Node versions we say we support (package.json "engines", README) are ones every installed package supports.
import fs from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/config.ts";

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean; devOptional?: boolean }>;
};

/**
 * Packages allowed to want a newer Node than we support, each with the reason. Only development dependencies that our
 * commands never load may be here.
 */
const KNOWN_EXCEPTIONS: Record<string, string> = {
  // Needed only by the prisma CLI's `prisma dev` (a local Prisma Postgres server); `prisma generate`, which npm ci runs,
  // does not load it. Every published version asks for Node 22.
  "@prisma/streams-local": "prisma dev only",
};

describe("supported Node versions", () => {
  const lines = pkg.engines.node.split("||").map((range) => range.trim());

  it("are the current LTS lines plus Node 20, each from a stated minimum", () => {
    expect(lines.map((range) => semver.minVersion(range)!.major)).toEqual([20, 22, 24, 26]);
  });

  it("are supported by every installed package (the lowest version of each line satisfies its engines)", () => {
    const problems: string[] = [];
    for (const [where, meta] of Object.entries(lock.packages)) {
      const wanted = meta.engines && !Array.isArray(meta.engines) ? meta.engines.node : undefined;
      if (!where || !wanted) continue;
      const name = where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length);
      for (const range of lines) {
        const lowest = semver.minVersion(range)!.version;
        if (semver.satisfies(lowest, wanted)) continue;
        if (KNOWN_EXCEPTIONS[name] && (meta.dev || meta.devOptional)) continue;
        problems.push(`${name}@${meta.version} wants node ${wanted}, we claim ${lowest}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("are stated in the README exactly as in package.json", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    expect(readme).toContain(`\`${pkg.engines.node}\``);
  });
});
