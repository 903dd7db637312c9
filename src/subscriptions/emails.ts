// The two emails of the subscription lifecycle: the double opt-in link, and the manage link for an active address.
import { CONFIRMATION_TTL_HOURS, type SubscriptionDeps } from "./deps.ts";
import { confirmUrl, subscriberLinks } from "./links.ts";
import { describeCadence, describeMoment, nextDelivery } from "./schedule.ts";

const FOOTER_REASON = "You get this email because this address was entered on our subscribe page.";

export async function sendConfirmationEmail(deps: SubscriptionDeps, subscriberId: string, token: string) {
  const subscriber = await deps.db.subscriber.findUnique({
    where: { id: subscriberId },
    select: {
      email: true,
      keywords: true,
      timezone: true,
      sendHour: true,
      cadence: true,
      weekday: true,
      topics: { select: { topic: { select: { name: true, position: true } } } },
    },
  });
  if (!subscriber) return;
  const now = deps.now?.() ?? new Date();
  const topicNames = subscriber.topics.sort((a, b) => a.topic.position - b.topic.position).map((t) => t.topic.name);
  // Keywords are not echoed: anyone can type any address, and the email must not carry a stranger's text.
  const keywordNames = subscriber.keywords.length ? [`${subscriber.keywords.length} keyword${subscriber.keywords.length === 1 ? "" : "s"} of your own`] : [];
  const email = deps.emails.render("confirm", {
    topicList: [...topicNames, ...keywordNames].join(", "),
    confirmUrl: confirmUrl(deps.links, token),
    expiresHours: CONFIRMATION_TTL_HOURS,
    cadenceName: subscriber.cadence === "weekly" ? "weekly" : "daily",
    // The first delivery hour after now: what they get if they confirm at once (the planner's rule, schedule.ts).
    firstEmail: describeMoment(nextDelivery(subscriber, now), now, subscriber.timezone),
    cadenceText: describeCadence(subscriber),
    footerReason: FOOTER_REASON,
    postalAddress: deps.postalAddress,
    manageUrl: null,
    unsubscribeUrl: null,
  });
  await deps.mailer.send({ to: subscriber.email, subject: "Confirm your Trending Papers Digest subscription", ...email });
}

export async function sendManageLinkEmail(deps: SubscriptionDeps, subscriberId: string) {
  const subscriber = await deps.db.subscriber.findUnique({ where: { id: subscriberId }, select: { email: true } });
  if (!subscriber) return;
  const links = subscriberLinks(deps.links, subscriberId);
  const email = deps.emails.render("manage-link", { ...links, footerReason: FOOTER_REASON, postalAddress: deps.postalAddress });
  await deps.mailer.send({ to: subscriber.email, subject: "Your Trending Papers Digest subscription", ...email });
}
