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
  };
}

export function confirmUrl(settings: LinkSettings, token: string): string {
  return `${settings.publicBaseUrl}/confirm/${token}`;
}

/** "More like this" / "Less like this" for one paper: opens a page with the choice (nothing is recorded by opening it). */
export function feedbackUrl(settings: LinkSettings, subscriberId: string, paperId: number, verdict: "more" | "less"): string {
  return `${settings.publicBaseUrl}/feedback/${signFeedbackToken(settings.appSecret, subscriberId, paperId)}?v=${verdict}`;
}
