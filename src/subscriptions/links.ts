// Absolute URLs put in emails and pages. Every email carries the manage and unsubscribe links.
import { signSubscriberToken } from "./tokens.ts";

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
