import { SOURCE_NAMES } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { latestRuns } from "../sources/runs.ts";
import type { Command } from "./command.ts";

export const statsCommand: Command = {
  summary: "Subscribers by state, digests by state for the last 14 days, papers, and each source's last run.",
  async run({ config, log }) {
    const database = await openDatabase(config, log);
    try {
      const { db } = database;
      const subscribers = await db.subscriber.groupBy({ by: ["status"], _count: true, orderBy: { status: "asc" } });
      console.log("Subscribers");
      for (const s of subscribers) console.log(`  ${s.status.padEnd(13)} ${s._count}`);
      if (!subscribers.length) console.log("  (none)");
      console.log(`  suppressed    ${await db.suppression.count()}`);
      const since = new Date(Date.now() - 14 * 86400_000);
      const digests = await db.digest.groupBy({ by: ["localDate", "status"], where: { localDate: { gte: since } }, _count: true, orderBy: [{ localDate: "desc" }, { status: "asc" }] });
      console.log("\nDigests by local date (last 14 days)");
      const days = [...new Set(digests.map((d) => d.localDate.toISOString().slice(0, 10)))];
      for (const day of days) {
        const row = digests.filter((d) => d.localDate.toISOString().slice(0, 10) === day).map((d) => `${d._count} ${d.status}`);
        console.log(`  ${day}  ${row.join(", ")}`);
      }
      if (!days.length) console.log("  (none)");
      const withSignals = await db.paper.count({ where: { signals: { some: {} } } });
      console.log(`\nPapers: ${await db.paper.count()} (${withSignals} with upvote signals)`);
      console.log("\nSources (last run; last success)");
      const when = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");
      for (const { source, last, lastOk } of await latestRuns(db, SOURCE_NAMES)) {
        const on = config.sources.enabled.includes(source) ? "on " : "off";
        if (!last) {
          console.log(`  ${source.padEnd(12)} ${on}  never run`);
          continue;
        }
        const result = last.status === "failed" ? `failed: ${last.error}` : last.status === "skipped" ? "skipped" : `${last.status}, ${last.added} added, ${last.updated} updated, ${last.signals} signals`;
        console.log(`  ${source.padEnd(12)} ${on}  ${when(last.startedAt)} UTC ${result}; last success ${lastOk ? `${when(lastOk.startedAt)} UTC` : "never"}`);
      }
      return 0;
    } finally {
      await database.close();
    }
  },
};
