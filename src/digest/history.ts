// What a reader was sent: their past digests and papers, for their archive, their private feed and their data export.
import type { Db } from "../db/client.ts";
import { DIGEST_PAPER_FIELDS } from "./render.ts";

/** The reader's sent digests, newest first, each with its papers in email order. */
export function listSentDigests(db: Db, subscriberId: string, limit = 1000) {
  return db.digest.findMany({
    where: { subscriberId, status: "sent" },
    orderBy: { localDate: "desc" },
    take: limit,
    select: {
      id: true,
      localDate: true,
      sentAt: true,
      subject: true,
      items: { orderBy: { position: "asc" }, select: { position: true, matchedTopics: true, matchedKeywords: true, reasons: true, paper: { select: DIGEST_PAPER_FIELDS } } },
    },
  });
}

export type SentDigest = Awaited<ReturnType<typeof listSentDigests>>[number];

/** How many digests went out to the reader, and how many papers they held (for "what will be deleted"). */
export async function countSentDigests(db: Db, subscriberId: string): Promise<{ digests: number; papers: number }> {
  const [digests, papers] = await Promise.all([
    db.digest.count({ where: { subscriberId, status: "sent" } }),
    db.digestItem.count({ where: { digest: { subscriberId, status: "sent" } } }),
  ]);
  return { digests, papers };
}
