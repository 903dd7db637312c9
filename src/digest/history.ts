// What a reader was sent: their past digests and papers, for their archive, their private feed and their data export.
import type { Db } from "../db/client.ts";
import { loadDigestPapers } from "./queries.ts";

/** The reader's sent digests, newest first, each with its papers in email order (and why each was chosen). */
export async function listSentDigests(db: Db, subscriberId: string, limit = 1000) {
  const digests = await db.digest.findMany({
    where: { subscriberId, status: "sent" },
    orderBy: { localDate: "desc" },
    take: limit,
    select: { id: true, localDate: true, sentAt: true, subject: true },
  });
  const papers = await loadDigestPapers(db, digests.map((d) => d.id));
  return digests.map((d) => ({ ...d, papers: papers.get(d.id) ?? [] }));
}

export type SentDigest = Awaited<ReturnType<typeof listSentDigests>>[number];

/** How many digests went out to the reader, and how many papers they held (for "what will be deleted"). */
export async function countSentDigests(db: Db, subscriberId: string): Promise<{ digests: number; papers: number }> {
  const sent = await db.digest.findMany({ where: { subscriberId, status: "sent" }, select: { paperIds: true } });
  return { digests: sent.length, papers: sent.reduce((n, d) => n + d.paperIds.length, 0) };
}
