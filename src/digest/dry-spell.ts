// "Nothing new on your topics for 14 days": a reader whose topics and keywords match nothing gets no digest, and
// without a word they would think the service broke. One short notice per dry spell, with a link to the preferences;
// the next notice only after a digest went out again. Claimed by a conditional update before sending (several
// processes send it once); a failed send gives the claim back, so the next tick tries again.
import { formatDay } from "../dates.ts";
import { listHeaders } from "../mail/transport.ts";
import { subscriberLinks } from "../subscriptions/links.ts";
import { namedInterests } from "./layout.ts";
import type { SendDeps } from "./send.ts";

export const DRY_SPELL_DAYS = 14;

export async function sendNoMatchNotices(deps: SendDeps, now: Date, limit = 500): Promise<number> {
  const since = new Date(now.getTime() - DRY_SPELL_DAYS * 86_400_000);
  // Raw SQL: "no digest with papers since", "nothing changed since" and "no notice in this spell" are NOT EXISTS and
  // comparisons across tables. A reader whose record changed (preferences, pause, resume) in the spell is not due:
  // a resumed pause is no dry spell, and new keywords were judged on the spot (the form names those matching nothing).
  const due = await deps.db.$queryRaw<{ id: string; noticeAt: Date | null }[]>`
    SELECT s.id, s.no_match_notice_at AS "noticeAt"
    FROM subscribers s
    WHERE s.status = 'active'
      AND s.confirmed_at <= ${since}
      AND s.updated_at <= ${since}
      AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email = s.email)
      AND NOT EXISTS (
        SELECT 1 FROM digests d WHERE d.subscriber_id = s.id AND d.status IN ('planned', 'sending', 'sent') AND d.planned_at > ${since})
      AND (s.no_match_notice_at IS NULL
        OR EXISTS (SELECT 1 FROM digests d WHERE d.subscriber_id = s.id AND d.status = 'sent' AND d.sent_at > s.no_match_notice_at))
    ORDER BY s.id
    LIMIT ${limit}`;
  let sent = 0;
  for (const reader of due) if (await sendNotice(deps, reader, now)) sent++;
  return sent;
}

async function sendNotice(deps: SendDeps, reader: { id: string; noticeAt: Date | null }, now: Date): Promise<boolean> {
  const { db } = deps;
  // The claim. updatedAt is kept: the notice is no change by the reader.
  const claimed = await db.$executeRaw`
    UPDATE subscribers SET no_match_notice_at = ${now}
    WHERE id = ${reader.id}::uuid AND no_match_notice_at IS NOT DISTINCT FROM ${reader.noticeAt}::timestamp(3)`;
  if (claimed !== 1) return false;
  const subscriber = await db.subscriber.findUniqueOrThrow({
    where: { id: reader.id },
    select: { email: true, keywords: true, confirmedAt: true, topics: { select: { topic: { select: { slug: true } } } } },
  });
  const links = subscriberLinks({ publicBaseUrl: deps.publicBaseUrl, appSecret: deps.appSecret }, reader.id, now);
  const email = deps.emails.render("no-match", {
    days: DRY_SPELL_DAYS,
    interests: namedInterests({ topics: subscriber.topics.map((t) => t.topic.slug), keywords: subscriber.keywords }) || "your topics and keywords",
    ...links,
    footerReason: `You get this email because ${subscriber.email} subscribed to Trending Papers Digest${subscriber.confirmedAt ? ` and confirmed on ${formatDay(subscriber.confirmedAt)}` : ""}.`,
    postalAddress: deps.postalAddress,
  });
  try {
    await deps.mailer.send({
      to: subscriber.email,
      subject: `Nothing new on your topics for ${DRY_SPELL_DAYS} days`,
      ...email,
      headers: listHeaders({ unsubscribeUrl: links.unsubscribeUrl, listId: deps.listId }),
    });
  } catch (err) {
    await db.$executeRaw`UPDATE subscribers SET no_match_notice_at = ${reader.noticeAt}::timestamp(3) WHERE id = ${reader.id}::uuid AND no_match_notice_at = ${now}`;
    deps.log.warn({ subscriberId: reader.id, err: (err as Error).message }, "no-match notice not sent; retrying at the next tick");
    return false;
  }
  return true;
}
