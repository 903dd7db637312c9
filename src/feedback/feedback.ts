// Readers' "more like this" / "less like this": one verdict per reader and paper (changing one's mind replaces it,
// undo removes it), and the profile rebuilt from all of a reader's verdicts in the same transaction.
import type { Db } from "../db/client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { rebuildProfiles } from "./queries.ts";

type Tx = Prisma.TransactionClient;

export type Verdict = "more" | "less";

const VALUE: Record<Verdict, number> = { more: 1, less: -1 };

export async function recordFeedback(db: Db, subscriberId: string, paperId: number, verdict: Verdict) {
  await db.$transaction(async (tx) => {
    await tx.feedback.upsert({
      where: { subscriberId_paperId: { subscriberId, paperId } },
      create: { subscriberId, paperId, value: VALUE[verdict] },
      update: { value: VALUE[verdict] },
    });
    await rebuildProfile(tx, subscriberId);
  });
}

export async function undoFeedback(db: Db, subscriberId: string, paperId: number) {
  await db.$transaction(async (tx) => {
    await tx.feedback.deleteMany({ where: { subscriberId, paperId } });
    await rebuildProfile(tx, subscriberId);
  });
}

export async function findFeedback(db: Db, subscriberId: string, paperId: number): Promise<Verdict | undefined> {
  const row = await db.feedback.findUnique({ where: { subscriberId_paperId: { subscriberId, paperId } }, select: { value: true } });
  return row ? (row.value > 0 ? "more" : "less") : undefined;
}

/** Everything a reader said, newest first (for their data export). */
export function listFeedback(db: Db, subscriberId: string) {
  return db.feedback.findMany({
    where: { subscriberId },
    orderBy: { updatedAt: "desc" },
    select: { value: true, createdAt: true, updatedAt: true, paper: { select: { id: true, displayTitle: true } } },
  });
}

async function rebuildProfile(tx: Tx, subscriberId: string) {
  // A reader's lock: two clicks at once must not interleave their rebuilds.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`profile:${subscriberId}`}))`;
  await rebuildProfiles(tx, [subscriberId]);
}

export function countFeedback(db: Db, subscriberId: string): Promise<number> {
  return db.feedback.count({ where: { subscriberId } });
}
