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
