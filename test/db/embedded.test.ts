import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("embedded PostgreSQL's exit hooks", () => {
  it("leave a process's exit status alone (they turned every failed test run and CLI command into status 0)", () => {
    const script = `const { loadEmbeddedPostgres } = await import("./src/db/embedded.ts"); await loadEmbeddedPostgres(); process.exitCode = 3;`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(3);
  });
});
