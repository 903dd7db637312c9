// A digest as it would be planned now, without recording anything: the real planner runs inside a transaction
// that is then rolled back.
import type { Db } from "../db/client.ts";
import { createMatchTables, insertDigestItems, insertDigests } from "./queries.ts";
import { DIGEST_PAPER_FIELDS, type DigestContent } from "./render.ts";

class RollBack extends Error {
  constructor(readonly content: DigestContent | null) {
    super("rollback");
  }
}

export async function previewDigest(db: Db, email: string, date: Date, windowDays?: number): Promise<{ subscriberId: string; content: DigestContent } | null> {
  const subscriber = await db.subscriber.findUnique({ where: { email }, select: { id: true, email: true, confirmedAt: true } });
  if (!subscriber) return null;
  const localDate = date.toISOString().slice(0, 10);
  try {
    await db.$transaction(async (tx) => {
      const created = await insertDigests(tx, [{ subscriberId: subscriber.id, localDate }], new Date());
      const digestId =
        created[0]?.id ?? (await tx.digest.findUnique({ where: { subscriberId_localDate: { subscriberId: subscriber.id, localDate: new Date(localDate) } } }))?.id;
      if (!digestId) throw new RollBack(null);
      if (created.length) {
        await createMatchTables(tx, [digestId], new Date(), windowDays);
        await insertDigestItems(tx, [digestId]);
      }
      const items = await tx.digestItem.findMany({
        where: { digestId },
        orderBy: { position: "asc" },
        include: { paper: { select: DIGEST_PAPER_FIELDS } },
      });
      throw new RollBack(
        items.length
          ? { localDate: new Date(localDate), email: subscriber.email, confirmedAt: subscriber.confirmedAt, papers: items.map((i) => ({ ...i.paper, matchedTopics: i.matchedTopics, matchedKeywords: i.matchedKeywords, reasons: i.reasons })) }
          : null,
      );
    });
  } catch (err) {
    if (err instanceof RollBack) return err.content ? { subscriberId: subscriber.id, content: err.content } : null;
    throw err;
  }
  return null;
}
