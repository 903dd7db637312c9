// A progress bar on a terminal, plain log lines otherwise (CI logs, pipes).
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, label?: string): void;
  /** When the amount of work turns out different from the first estimate. */
  setTotal(total: number): void;
  stop(): void;
}

export function createProgress(title: string, total: number): Progress {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar({ format: `${title} [{bar}] {value}/{total} {label}`, hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { label: "" });
    return { update: (done, label = "") => bar.update(done, { label }), setTotal: (t) => bar.setTotal(t), stop: () => bar.stop() };
  }
  let lastLogged = -1;
  let lastTime = 0;
  return {
    setTotal(t) {
      total = t;
    },
    update(done, label = "") {
      const now = Date.now();
      if (done === total || now - lastTime > 2000) {
        if (done !== lastLogged) console.log(`${title}: ${done}/${total} ${label}`.trimEnd());
        lastLogged = done;
        lastTime = now;
      }
    },
    stop() {},
  };
}
