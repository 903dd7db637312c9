// A digest as it would be planned now, without recording anything: the planner's own ranking, in memory.
import { type Db, poolOf } from "../db/client.ts";
import { prepareMatching } from "./plan.ts";
import { nameLikedPapers } from "./planner.ts";
import { startPlanningRun } from "./planning.ts";
import { loadDigestPapers, loadPreferences, loadProfiles, loadSentPapers } from "./queries.ts";
import { DIGEST_PAPER_FIELDS, type DigestContent } from "./render.ts";

const interestsOf = (s: { keywords: string[]; topics: { topic: { slug: string } }[] }) => ({ topics: s.topics.map((t) => t.topic.slug), keywords: s.keywords });

export type PreviewResult =
  | { kind: "no-subscriber" }
  | { kind: "nothing-new"; subscriberId: string }
  /** digestId: the digest already planned for that day, if there is one (it has a "view in browser" page). */
  | { kind: "digest"; subscriberId: string; digestId?: string; content: DigestContent };

export async function previewDigest(db: Db, email: string, date: Date, windowDays?: number): Promise<PreviewResult> {
  const subscriber = await db.subscriber.findUnique({ where: { email }, select: { id: true, email: true, confirmedAt: true, keywords: true, topics: { select: { topic: { select: { slug: true } } } } } });
  if (!subscriber) return { kind: "no-subscriber" };
  const localDate = new Date(date.toISOString().slice(0, 10));
  // Already planned for that day: show what will go (or went) out.
  const existing = await db.digest.findUnique({ where: { subscriberId_localDate: { subscriberId: subscriber.id, localDate } }, select: { id: true } });
  let papers: DigestContent["papers"];
  if (existing) {
    papers = (await loadDigestPapers(db, [existing.id])).get(existing.id) ?? [];
  } else {
    // The matcher's index as a planning run would see it (new papers, keywords): otherwise a preview before the first
    // planning run finds nothing.
    await prepareMatching(db);
    const pool = poolOf(db);
    const run = await startPlanningRun(pool, new Date(), windowDays);
    const [reader] = await loadPreferences(pool, [subscriber.id]);
    const sent = await loadSentPapers(pool, [subscriber.id], run.historySince);
    const profiles = reader?.hasProfile ? await loadProfiles(pool, [subscriber.id]) : new Map();
    const picks = new Map([[subscriber.id, reader ? run.choosePapers(reader, sent.get(subscriber.id), profiles.get(subscriber.id)) : []]]);
    await nameLikedPapers(pool, run, picks);
    const chosen = picks.get(subscriber.id)!;
    const rows = await db.paper.findMany({ where: { id: { in: chosen.map((c) => c.paperId) } }, select: DIGEST_PAPER_FIELDS });
    const byId = new Map(rows.map((p) => [p.id, p]));
    papers = chosen.map((c) => ({ ...byId.get(c.paperId)!, matchedTopics: [...c.evidence.topics], matchedKeywords: [...c.evidence.keywords], reasons: [...c.evidence.reasons] }));
  }
  if (papers.length === 0) return { kind: "nothing-new", subscriberId: subscriber.id };
  return { kind: "digest", subscriberId: subscriber.id, digestId: existing?.id, content: { localDate, email: subscriber.email, confirmedAt: subscriber.confirmedAt, interests: interestsOf(subscriber), papers } };
}
