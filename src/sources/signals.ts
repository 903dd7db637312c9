// Popularity as observed over time: one row per paper, source and fetch. The trend score (trend.ts) reads these.
import type { Db } from "../db/client.ts";

export interface Observation {
  paperId: number;
  upvotes: number;
  comments: number;
}

/** Records what `source` reported at `observedAt`; a paper listed twice in one fetch counts once. */
export async function recordSignals(db: Db, source: string, observedAt: Date, observations: Observation[]): Promise<number> {
  const seen = new Set<number>();
  const rows = observations.filter((o) => !seen.has(o.paperId) && seen.add(o.paperId));
  if (rows.length === 0) return 0;
  const { count } = await db.paperSignal.createMany({ data: rows.map((o) => ({ paperId: o.paperId, source, observedAt, upvotes: o.upvotes, comments: o.comments })) });
  return count;
}
