import fs from "node:fs";
import { type Database, openDatabase } from "../db/database.ts";
import { createOutageGate, DatabaseWaitExceeded, isWaitEnded } from "../db/outage-gate.ts";
import { planAllDigests } from "../digest/plan.ts";
import { enqueueDigests } from "../digest/queue.ts";
import { renderDigest } from "../digest/render.ts";
import { digestPageUrl } from "../digest/send.ts";
import { previewDigest } from "../digest/preview.ts";
import { type DigestRuntime, sendDeps, startDigestRuntime } from "../digest/runtime.ts";
import type { MailCatcher } from "../mail/catcher.ts";
import { addDigestTotals, planTotals } from "../digest/totals.ts";
import { openMailer } from "../mail/setup.ts";
import { loadEmailTemplates } from "../mail/templates.ts";
import type { Mailer } from "../mail/transport.ts";
import { resolveAppSecret } from "../secret.ts";
import { normalizeEmail } from "../subscriptions/input.ts";
import { feedbackUrl, subscriberLinks } from "../subscriptions/links.ts";
import type { Command } from "./command.ts";
import { createProgress } from "./progress.ts";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const digestCommand: Command = {
  summary: "digest run [--date D]: send every active subscriber's digest for D now, whatever their hour (idempotent). digest preview --email A [--date D] [--out F]: render without sending.",
  usage: "digest run [--date YYYY-MM-DD] | digest preview --email ADDRESS [--date YYYY-MM-DD] [--out FILE]",
  options: { date: { type: "string" }, email: { type: "string" }, out: { type: "string" } },
  async run(ctx) {
    const [action] = ctx.positionals;
    const date = ctx.values.date as string | undefined;
    if (date !== undefined && (!DATE.test(date) || Number.isNaN(Date.parse(date)))) {
      console.error(`digest: --date must be a date like 2026-11-24, got "${date}"`);
      return 2;
    }
    if (action === "run") return runDigests(ctx, date);
    if (action === "preview") return preview(ctx, date);
    console.error(`digest: say "run" or "preview"\nusage: npm run cli -- ${digestCommand.usage}`);
    return 2;
  },
};

async function runDigests({ config, log }: Parameters<Command["run"]>[0], date: string | undefined) {
  const appSecret = resolveAppSecret(config, log);
  const emails = await loadEmailTemplates();
  const waitSeconds = config.databaseWaitSeconds;
  // One gate for the whole run (planning, the worker, the wait below): one warning per outage, one time limit.
  const gate = createOutageGate(log, { maxWaitMs: waitSeconds * 1000, waiting: `digest run waits up to ${duration(waitSeconds)} for it to come back` });
  let database: Database | undefined;
  let mailer: Mailer | undefined;
  let catcher: MailCatcher | undefined;
  let runtime: DigestRuntime | undefined;
  /** Digests still open at the last look (planned or sending), for the line that says what is left. */
  let open: number | undefined;
  let result: number;
  try {
    database = await gate.run(() => openDatabase(config, log));
    const { db } = database;
    ({ mailer, catcher } = await openMailer(config, log));
    const outcomes = { sent: 0, skipped: 0, failed: 0, retrying: 0 };
    runtime = await startDigestRuntime(config, database.url, sendDeps(config, { db, mailer, emails, log, appSecret }), {
      worker: true,
      gate,
      onOutcome: (o) => {
        if (o === "sent") outcomes.sent += 1;
        else if (o === "skipped") outcomes.skipped += 1;
        else if (o === "bounced" || o === "gave-up") outcomes.failed += 1;
        else if (o === "retry") outcomes.retrying += 1;
      },
    });
    const boss = runtime.boss;
    const startedAt = new Date();
    // Planning is idempotent (one digest per reader and date): after an outage it simply runs again.
    let planningAttempts = 0;
    const plan = await gate.run(() => {
      planningAttempts += 1;
      // In a lean process of its own, as the scheduler plans (src/digest/planner-process.ts).
      return planAllDigests(db, { now: startedAt, date, windowDays: config.sources.trendingWindowDays, onBatch: (ids) => enqueueDigests(boss, ids), ownProcess: true });
    });
    // Metrics only, but worth waiting for the database (the gate), like every other step of the run.
    await gate.run(() => addDigestTotals(db, planTotals(plan))).catch((err) => {
      if (isWaitEnded(err)) throw err;
      log.warn({ err }, "could not add to the digest totals (metrics only; nothing else is affected)");
    });
    console.log(`planned ${plan.planned} digest(s); ${plan.skipped} subscriber(s) had no new matching paper (recorded as skipped)`);
    // Finish what an earlier, interrupted run left open too (planned, or claimed by a process that died). When an
    // outage cut a planning attempt of this run short, the digests it planned may have missed their queue job: then
    // every open digest is queued again (a second job for a digest is harmless: its claim decides).
    const interruptedPlanning = planningAttempts > 1;
    const leftover = (
      await gate.run(() => db.digest.findMany({ where: { status: { in: ["planned", "sending"] }, ...(interruptedPlanning ? {} : { plannedAt: { lt: startedAt } }) }, select: { id: true } }))
    ).map((d) => d.id);
    if (leftover.length) {
      console.log(`resuming ${leftover.length} unfinished digest(s) ${interruptedPlanning ? "(planned before the database went away, or by an earlier run)" : "from an earlier run"}`);
      await gate.run(() => enqueueDigests(boss, leftover));
    }
    // After an interrupted planning, `leftover` holds every open digest, this run's too.
    const total = interruptedPlanning ? leftover.length : plan.planned + leftover.length;
    open = total;
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
    };
    process.once("SIGTERM", interrupt);
    process.once("SIGINT", interrupt);
    if (total) {
      const progress = createProgress("sending", total);
      // Wait until no digest is open (sent, skipped or failed) — retries included. The runtime's sweeper re-queues
      // what a killed process had claimed, once its lease has run out.
      while (!interrupted) {
        // One snapshot for both numbers: the worker records "sent" before it reports the outcome, so counting one in
        // the database and the other in memory once showed "1/1 sent 0".
        const states = await gate.run(() =>
          db.digest.groupBy({ by: ["status"], where: { OR: [{ status: { in: ["planned", "sending"] } }, { updatedAt: { gte: startedAt } }] }, _count: true }),
        );
        const count = (status: string) => states.find((s) => s.status === status)?._count ?? 0;
        open = count("planned") + count("sending");
        const done = Math.max(0, total - open);
        const [sent, failed] = [count("sent"), count("failed")];
        // The rest of the done ones were skipped at send time (the reader left after planning).
        const skipped = Math.max(0, done - sent - failed);
        progress.update(done, `${sent} sent${skipped ? `, ${skipped} skipped` : ""}${failed ? `, ${failed} failed` : ""}, retrying ${outcomes.retrying}`);
        if (open === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      progress.stop();
    }
    if (interrupted) {
      // Graceful: the worker finishes what it has in flight (in finally); the rest stays queued for the next run.
      console.log("interrupted: finishing the emails in flight; run again to send the rest");
      result = 130;
    } else {
      const final = await gate.run(() => db.digest.groupBy({ by: ["status"], where: { updatedAt: { gte: startedAt } }, _count: true }));
      console.log(`done: ${final.map((g) => `${g._count} ${g.status}`).join(", ") || "nothing to send"}`);
      if (catcher) console.log("(no app was running: these emails went to a catcher that closes with this command; start the app first to see them at /dev/mail)");
      result = final.some((g) => g.status === "failed") ? 1 : 0;
    }
  } catch (err) {
    if (!(err instanceof DatabaseWaitExceeded)) throw err;
    result = EXIT_TEMPORARY_FAILURE;
  } finally {
    await runtime?.stop();
    mailer?.close();
    await catcher?.stop();
    await database?.close().catch(() => {});
  }
  if (result === EXIT_TEMPORARY_FAILURE) {
    // Last, after everything has stopped: the one line an operator (or a scheduler's log) needs.
    const left = open === undefined ? "it was unreachable before planning was done" : `about ${open} digest(s) not sent yet`;
    console.error(`gave up waiting for the database after ${duration(waitSeconds)}: ${left}; nothing is lost: run \`digest run\` again (safe: it sends only what is left)`);
  }
  return result;
}

/** sysexits' EX_TEMPFAIL: a scheduler may simply try again later. */
const EXIT_TEMPORARY_FAILURE = 75;

function duration(seconds: number) {
  return seconds % 60 === 0 && seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`;
}

async function preview({ config, log, values }: Parameters<Command["run"]>[0], date: string | undefined) {
  const email = values.email as string | undefined;
  if (!email) {
    console.error("digest preview: --email ADDRESS is required");
    return 2;
  }
  const appSecret = resolveAppSecret(config, log);
  const emails = await loadEmailTemplates();
  const database = await openDatabase(config, log);
  try {
    const result = await previewDigest(database.db, normalizeEmail(email.trim()), date ? new Date(`${date}T00:00:00Z`) : new Date(), config.sources.trendingWindowDays);
    if (result.kind === "no-subscriber") {
      console.error(`digest preview: there is no subscriber ${email}`);
      return 1;
    }
    if (result.kind === "nothing-new") {
      console.error(`digest preview: ${email} has no new matching paper for that day (their digest would be recorded as skipped)`);
      return 1;
    }
    // A digest not planned yet has no page of its own: the preview then has no "View in browser" link.
    const rendered = renderDigest(emails, result.content, {
      baseUrl: config.publicBaseUrl,
      viewInBrowserUrl: result.digestId ? digestPageUrl({ publicBaseUrl: config.publicBaseUrl, appSecret }, result.digestId) : undefined,
      ...subscriberLinks({ publicBaseUrl: config.publicBaseUrl, appSecret }, result.subscriberId),
      postalAddress: config.mail.postalAddress,
      feedbackUrl: (paperId, verdict) => feedbackUrl({ publicBaseUrl: config.publicBaseUrl, appSecret }, result.subscriberId, paperId, verdict),
    });
    if (!result.digestId) console.error("(not planned yet: the email will carry a 'View in browser' link once its digest is planned)");
    const out = values.out as string | undefined;
    if (out) {
      fs.writeFileSync(out, rendered.html);
      console.log(`Subject: ${rendered.subject}\nwrote the HTML to ${out}`);
    } else {
      console.log(`Subject: ${rendered.subject}\n\n${rendered.text}`);
    }
    return 0;
  } finally {
    await database.close();
  }
}
