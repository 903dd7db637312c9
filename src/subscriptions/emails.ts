// The two emails of the subscription lifecycle: the double opt-in link, and the manage link for an active address.
// Each is a row of confirmation_tokens first (the outbox, see outbox.ts); these functions only render and send.
import { CONFIRMATION_TTL_HOURS, type SubscriptionDeps } from "./deps.ts";
import { confirmUrl, subscriberLinks } from "./links.ts";
import { type DeliverySchedule, describeCadence, describeMoment, nextDelivery } from "./schedule.ts";

const FOOTER_REASON = "You get this email because this address was entered on our subscribe page.";

/** What an opt-in email says, complete: sending it needs no further reads. `rowId` is its outbox row. */
export type OptInEmail =
  | { kind: "confirm"; rowId: number; to: string; token: string; topicNames: string[]; keywordCount: number; schedule: DeliverySchedule }
  | { kind: "manage"; rowId: number; to: string; subscriberId: string };

export async function sendOptInEmail(deps: Pick<SubscriptionDeps, "mailer" | "emails" | "links" | "postalAddress" | "now">, email: OptInEmail) {
  if (email.kind === "confirm") {
    // Keywords are not echoed: anyone can type any address, and the email must not carry a stranger's text.
    const keywordNames = email.keywordCount ? [`${email.keywordCount} keyword${email.keywordCount === 1 ? "" : "s"} of your own`] : [];
    const now = deps.now?.() ?? new Date();
    const body = deps.emails.render("confirm", {
      topicList: [...email.topicNames, ...keywordNames].join(", "),
      confirmUrl: confirmUrl(deps.links, email.token),
      expiresHours: CONFIRMATION_TTL_HOURS,
      cadenceName: email.schedule.cadence === "weekly" ? "weekly" : "daily",
      // The first delivery hour after now: what they get if they confirm at once (the planner's rule, schedule.ts).
      firstEmail: describeMoment(nextDelivery(email.schedule, now), now, email.schedule.timezone),
      cadenceText: describeCadence(email.schedule),
      footerReason: FOOTER_REASON,
      postalAddress: deps.postalAddress,
      manageUrl: null,
      unsubscribeUrl: null,
    });
    await deps.mailer.send({ to: email.to, subject: "Confirm your Trending Papers Digest subscription", ...body });
    return;
  }
  const links = subscriberLinks(deps.links, email.subscriberId);
  const body = deps.emails.render("manage-link", { ...links, footerReason: FOOTER_REASON, postalAddress: deps.postalAddress });
  await deps.mailer.send({ to: email.to, subject: "Your Trending Papers Digest subscription", ...body });
}
