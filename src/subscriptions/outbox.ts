// The opt-in outbox. A subscribe request writes its email's row (confirmation_tokens) in the same transaction as the
// subscription, answers, then sends and marks the row sent. If that send fails, or the process dies before it, the
// sweeper finds the unsent row and sends it: at least once. (If only the "sent" mark is lost, the reader gets the same
// link twice, which is harmless: one click confirms.)
import type { SubscriptionDeps } from "./deps.ts";
import { type OptInEmail, sendOptInEmail } from "./emails.ts";
import { claimUnsentOptInEmails, markOptInEmailSent, type UnsentOptInEmail } from "./queries.ts";
import { confirmationTokenFor } from "./tokens.ts";

/**
 * A row unsent this long is taken to be lost. Longer than one send can take (Nodemailer's connect, greeting and socket
 * timeouts are 15 + 15 + 60 s, plus its queue), so the sweeper does not race the request's own send.
 */
export const OUTBOX_SWEEP_AFTER_MS = 10 * 60_000;
/** After this many sweeps a row is given up (an address the mail server keeps refusing). */
export const OUTBOX_MAX_ATTEMPTS = 3;
/** A manage link nobody received within a day is not worth sending late; confirmation links go until they expire. */
const MANAGE_LINK_USEFUL_MS = 24 * 3600_000;
const BATCH = 100;

type OutboxDeps = Pick<SubscriptionDeps, "db" | "mailer" | "emails" | "links" | "postalAddress" | "log" | "now">;

/** The request's own send: the email, then the row marked sent. A failure is left to the sweeper. */
export async function deliverOptInEmail(deps: OutboxDeps, email: OptInEmail) {
  await sendOptInEmail(deps, email);
  await markSent(deps, email.rowId);
}

export interface SweepOutcome {
  sent: number;
  failed: number;
}

/**
 * Sends the opt-in emails whose request never sent them. Rows are leased (attempted_at) with SKIP LOCKED, so several
 * processes sweeping at once send each email once. Only emails still worth sending: a confirmation that is unused,
 * unexpired and the newest of a pending subscriber; a manage link of an active or paused reader, within a day; never
 * to a suppressed address.
 */
export async function sweepOptInOutbox(deps: OutboxDeps): Promise<SweepOutcome> {
  const now = deps.now?.() ?? new Date();
  const staleBefore = new Date(now.getTime() - OUTBOX_SWEEP_AFTER_MS);
  const outcome: SweepOutcome = { sent: 0, failed: 0 };
  for (;;) {
    const rows = await claimUnsentOptInEmails(deps.db, {
      now,
      staleBefore,
      manageLinksSince: new Date(now.getTime() - MANAGE_LINK_USEFUL_MS),
      maxAttempts: OUTBOX_MAX_ATTEMPTS,
      limit: BATCH,
    });
    for (const row of rows) {
      try {
        await deliverOptInEmail(deps, emailOf(deps, row));
        outcome.sent++;
      } catch (err) {
        outcome.failed++;
        const last = row.attempts >= OUTBOX_MAX_ATTEMPTS;
        deps.log.warn({ err, outboxRow: row.rowId }, last ? `an opt-in email failed ${row.attempts} times; giving up on it` : "an opt-in email failed again; the next sweep retries it");
      }
    }
    // Leased rows are not taken again, so this ends; a backlog (after a long outage) goes out in one sweep.
    if (rows.length < BATCH) break;
  }
  if (outcome.sent) deps.log.info(`outbox: sent ${outcome.sent} opt-in email(s) that their request had not sent`);
  return outcome;
}

function emailOf(deps: OutboxDeps, row: UnsentOptInEmail): OptInEmail {
  if (row.kind === "manage_link") return { kind: "manage", rowId: row.rowId, to: row.email, subscriberId: row.subscriberId };
  return { kind: "confirm", rowId: row.rowId, to: row.email, token: confirmationTokenFor(deps.links.appSecret, row.salt!), topicNames: row.topicNames, keywordCount: row.keywordCount, schedule: row };
}

async function markSent(deps: OutboxDeps, rowId: number) {
  await markOptInEmailSent(deps.db, rowId, deps.now?.() ?? new Date());
}
