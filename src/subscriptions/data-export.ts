// Pure: everything we store about a reader, as one JSON document they can take elsewhere (GDPR art. 20): address,
// preferences, the records of their consent, the digests we sent them and the feedback they gave.
import { isoDay } from "../dates.ts";

export interface DataExportParts {
  exportedAt: Date;
  baseUrl: string;
  subscriber: {
    email: string;
    status: string;
    createdAt: Date;
    timezone: string;
    sendHour: number;
    maxPapers: number;
    cadence: string;
    weekday: number;
    pausedUntil: Date | null;
    keywords: string[];
    topics: { slug: string; name: string }[];
    subscribedAt: Date | null;
    subscribedIp: string | null;
    confirmedAt: Date | null;
    confirmedIp: string | null;
    unsubscribedAt: Date | null;
    /** The last "nothing new on your topics for 14 days" email. */
    noMatchNoticeAt: Date | null;
  };
  /** Emails sent because of subscribe requests: confirmation links and manage links. */
  optInEmails: { kind: string; createdAt: Date; usedAt: Date | null }[];
  digests: { localDate: Date; sentAt: Date | null; subject: string | null; papers: { position: number; id: number; title: string; arxivId?: string | null; why: string }[] }[];
  feedback: { value: number; createdAt: Date; updatedAt: Date; paper: { id: number; displayTitle: string } }[];
}

export function buildDataExport(parts: DataExportParts) {
  const s = parts.subscriber;
  return {
    about: "Everything Trending Papers Digest stores about you, exported on your request. Times are UTC (ISO 8601).",
    exportedAt: parts.exportedAt.toISOString(),
    address: s.email,
    status: s.status,
    createdAt: s.createdAt.toISOString(),
    preferences: {
      topics: s.topics,
      keywords: s.keywords,
      cadence: s.cadence,
      weekday: s.cadence === "weekly" ? s.weekday : undefined,
      deliveryHour: s.sendHour,
      timeZone: s.timezone,
      papersPerEmail: s.maxPapers,
      pausedUntil: s.pausedUntil?.toISOString() ?? null,
    },
    consent: {
      subscribeRequestedAt: s.subscribedAt?.toISOString() ?? null,
      subscribeRequestedFromIp: s.subscribedIp,
      confirmedAt: s.confirmedAt?.toISOString() ?? null,
      confirmedFromIp: s.confirmedIp,
      unsubscribedAt: s.unsubscribedAt?.toISOString() ?? null,
      emailsOnSubscribeRequests: parts.optInEmails.map((e) => ({
        kind: e.kind === "confirm" ? "confirmation link" : "link to your preferences (address already subscribed)",
        sentAt: e.createdAt.toISOString(),
        linkUsedAt: e.kind === "confirm" ? (e.usedAt?.toISOString() ?? null) : undefined,
      })),
    },
    lastNoMatchNoticeSentAt: s.noMatchNoticeAt?.toISOString() ?? null,
    digestsSent: parts.digests.map((d) => ({
      date: isoDay(d.localDate),
      sentAt: d.sentAt?.toISOString() ?? null,
      subject: d.subject,
      papers: d.papers.map((p) => ({ position: p.position, title: p.title, url: `${parts.baseUrl}/papers/${p.id}`, arxivId: p.arxivId ?? null, whyYouGotIt: p.why })),
    })),
    feedbackGiven: parts.feedback.map((f) => ({
      paper: { title: f.paper.displayTitle, url: `${parts.baseUrl}/papers/${f.paper.id}` },
      verdict: f.value > 0 ? "more like this" : "less like this",
      givenAt: f.createdAt.toISOString(),
      changedAt: f.updatedAt.getTime() !== f.createdAt.getTime() ? f.updatedAt.toISOString() : undefined,
    })),
  };
}
