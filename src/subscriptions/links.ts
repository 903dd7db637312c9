// Absolute URLs put in emails and pages. Every email carries the manage and unsubscribe links.
import { signFeedbackToken, signSubscriberToken } from "./tokens.ts";

export interface LinkSettings {
  publicBaseUrl: string;
  appSecret: string;
}

export function subscriberLinks(settings: LinkSettings, subscriberId: string, issuedAt = new Date()) {
  return {
    manageUrl: `${settings.publicBaseUrl}/manage/${signSubscriberToken(settings.appSecret, subscriberId, "manage", issuedAt)}`,
    unsubscribeUrl: `${settings.publicBaseUrl}/unsubscribe/${signSubscriberToken(settings.appSecret, subscriberId, "unsubscribe", issuedAt)}`,
    archiveUrl: archiveUrl(settings, subscriberId, issuedAt),
  };
}

/** The reader's past digests, one page (90 days, like the preference link). */
export function archiveUrl(settings: LinkSettings, subscriberId: string, issuedAt = new Date()): string {
  return `${settings.publicBaseUrl}/archive/${signSubscriberToken(settings.appSecret, subscriberId, "archive", issuedAt)}`;
}

/** The reader's private Atom feed; `version` is theirs (subscribers.feed_version): a reset voids older links. */
export function privateFeedUrl(settings: LinkSettings, subscriberId: string, version: number, issuedAt = new Date()): string {
  return `${settings.publicBaseUrl}/feed/${signSubscriberToken(settings.appSecret, subscriberId, "feed", issuedAt, `v${version}`)}.xml`;
}

export function confirmUrl(settings: LinkSettings, token: string): string {
  return `${settings.publicBaseUrl}/confirm/${token}`;
}

/** "More like this" / "Less like this" for one paper: opens a page with the choice (nothing is recorded by opening it). */
export function feedbackUrl(settings: LinkSettings, subscriberId: string, paperId: number, verdict: "more" | "less"): string {
  return `${settings.publicBaseUrl}/feedback/${signFeedbackToken(settings.appSecret, subscriberId, paperId)}?v=${verdict}`;
}

/**
 * One reader's feedback links, as `feedbackUrl` makes them: "more" and "less" of a paper share one signed token, so an
 * email signs it once per paper (asked for one after the other), not twice.
 */
export function feedbackUrls(settings: LinkSettings, subscriberId: string): (paperId: number, verdict: "more" | "less") => string {
  let lastPaper: number | undefined;
  let base = "";
  return (paperId, verdict) => {
    if (paperId !== lastPaper) {
      base = `${settings.publicBaseUrl}/feedback/${signFeedbackToken(settings.appSecret, subscriberId, paperId)}?v=`;
      lastPaper = paperId;
    }
    return base + verdict;
  };
}
