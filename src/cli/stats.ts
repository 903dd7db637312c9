import { SOURCE_NAMES } from "../config.ts";
import type { Db } from "../db/client.ts";
import { openDatabase } from "../db/database.ts";
import { latestRuns } from "../sources/runs.ts";
import type { Command } from "./command.ts";

export const statsCommand: Command = {
  summary: "Subscribers by state, digests by state for the last 14 days, retries waiting, papers, and each source's last run.",
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
      console.log(`\n${await describeRetries(db, new Date())}`);
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

/** Digests tried and released after a temporary failure, waiting to be sent again. */
async function describeRetries(db: Db, now: Date): Promise<string> {
  const waiting = { status: "planned" as const, attempts: { gt: 0 } };
  const [count, mailbox, next, oldest] = await Promise.all([
    db.digest.count({ where: waiting }),
    db.digest.count({ where: { ...waiting, recipientRefusals: { gt: 0 } } }),
    db.digest.aggregate({ where: { ...waiting, retryAt: { gt: now } }, _min: { retryAt: true } }),
    db.digest.aggregate({ where: waiting, _min: { plannedAt: true } }),
  ]);
  if (count === 0) return "Retries waiting: none";
  const parts = [`${mailbox} refused by the reader's mailbox`, `${count - mailbox} after failures of the mail server`];
  const nextAt = next._min.retryAt;
  const when = nextAt ? `next in ${Math.max(1, Math.round((nextAt.getTime() - now.getTime()) / 1000))} s` : "due now";
  const since = oldest._min.plannedAt ? `; oldest planned ${oldest._min.plannedAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
  return `Retries waiting: ${count} digest(s) (${parts.join(", ")}); ${when}${since}`;
}
