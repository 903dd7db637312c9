// The suppression list: addresses never to be mailed again (hard bounces, complaints, operator's choice).
import type { Prisma } from "../generated/prisma/client.ts";

type Tx = Pick<Prisma.TransactionClient, "suppression" | "subscriber">;

export async function isSuppressed(tx: Tx, email: string): Promise<boolean> {
  return (await tx.suppression.count({ where: { email } })) > 0;
}

/** Adds the address to the list and marks its subscriber bounced, so no email of any kind goes out. */
export async function suppressAddress(tx: Tx, email: string, reason: "bounced" | "complained" | "manual", detail?: string) {
  await tx.suppression.upsert({ where: { email }, create: { email, reason, detail: detail?.slice(0, 500) }, update: {} });
  await tx.subscriber.updateMany({ where: { email }, data: { status: "bounced" } });
}

/** The list, newest first; `search` matches part of the address. */
export async function listSuppressions(db: Pick<Prisma.TransactionClient, "suppression">, opts: { search?: string; limit: number }) {
  const where = opts.search ? { email: { contains: opts.search, mode: "insensitive" as const } } : {};
  const [total, rows] = await Promise.all([
    db.suppression.count({ where }),
    db.suppression.findMany({ where, orderBy: [{ createdAt: "desc" }, { email: "asc" }], take: opts.limit }),
  ]);
  return { total, rows };
}

/**
 * An operator takes an address off the list (a bounce that was the mail server's mistake, a reader who asked). Its
 * subscriber, if bounced, becomes unsubscribed: mail resumes only after the reader subscribes and confirms again,
 * never on the operator's word alone. Returns what was removed, or null if the address was not on the list.
 */
export async function liftSuppression(db: { $transaction: <T>(fn: (tx: Prisma.TransactionClient) => Promise<T>) => Promise<T> }, email: string, now: Date) {
  return db.$transaction(async (tx) => {
    const [row] = await tx.suppression.findMany({ where: { email }, select: { reason: true, createdAt: true } });
    const removed = await tx.suppression.deleteMany({ where: { email } });
    if (!row || removed.count === 0) return null;
    const reopened = await tx.subscriber.updateMany({ where: { email, status: "bounced" }, data: { status: "unsubscribed", unsubscribedAt: now } });
    return { reason: row.reason, suppressedAt: row.createdAt, subscribersReopened: reopened.count };
  });
}
