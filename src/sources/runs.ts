// The record of source runs, and the lock that lets one process at a time fetch a source.
import pg from "pg";
import type { Db } from "../db/client.ts";

export async function startRun(db: Db, source: string, startedAt: Date, detail: string) {
  const run = await db.sourceRun.create({ data: { source, startedAt, detail }, select: { id: true } });
  return run.id;
}

export interface RunEnd {
  status: "ok" | "failed" | "skipped";
  finishedAt: Date;
  added?: number;
  updated?: number;
  signals?: number;
  warnings?: number;
  error?: string;
}

export async function finishRun(db: Db, id: number, end: RunEnd) {
  await db.sourceRun.update({ where: { id }, data: { ...end, error: end.error?.slice(0, 2000) ?? null } });
}

/** Runs left "running" by a process that died mid-run. Called while holding the source's lock, so none is live. */
export async function closeAbandonedRuns(db: Db, source: string, now: Date) {
  await db.sourceRun.updateMany({ where: { source, status: "running" }, data: { status: "failed", finishedAt: now, error: "interrupted: the process ended during the run" } });
}

export async function lastSuccessfulRun(db: Db, source: string) {
  return db.sourceRun.findFirst({ where: { source, status: "ok" }, orderBy: { startedAt: "desc" }, select: { startedAt: true } });
}

export function listRuns(db: Db, opts: { limit: number; source?: string }) {
  return db.sourceRun.findMany({ where: opts.source ? { source: opts.source } : {}, orderBy: [{ startedAt: "desc" }, { id: "desc" }], take: opts.limit });
}

/** The newest run of each source, and its newest successful one. */
export async function latestRuns<S extends string>(db: Db, sources: readonly S[]) {
  return Promise.all(
    sources.map(async (source) => ({
      source,
      last: await db.sourceRun.findFirst({ where: { source }, orderBy: [{ startedAt: "desc" }, { id: "desc" }] }),
      lastOk: await db.sourceRun.findFirst({ where: { source, status: "ok" }, orderBy: [{ startedAt: "desc" }, { id: "desc" }] }),
    })),
  );
}

/**
 * Runs `fn` while holding the source's PostgreSQL advisory lock, or returns undefined at once if another process
 * holds it. Session-level lock on its own connection: held for the whole run (minutes of polite fetching), released
 * when the run ends or, if the process dies, when its connection drops.
 */
export async function withSourceLock<T>(databaseUrl: string, source: string, fn: () => Promise<T>): Promise<T | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection must not end the process; the lock is gone with it and the run's writes fail on their own.
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [`tpd:source:${source}`]);
    if (!rows[0]?.locked) return undefined;
    try {
      return await fn();
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`tpd:source:${source}`]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}
