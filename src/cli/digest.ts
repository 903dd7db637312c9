import fs from "node:fs";
import { openDatabase } from "../db/database.ts";
import { planAllDigests } from "../digest/plan.ts";
import { enqueueDigests, requeueStalledDigests } from "../digest/queue.ts";
import { renderDigest } from "../digest/render.ts";
import { digestPageUrl } from "../digest/send.ts";
import { previewDigest } from "../digest/preview.ts";
import { sendDeps, startDigestRuntime } from "../digest/runtime.ts";
import { planTotals, recordDigestTotals } from "../digest/totals.ts";
import { openMailer } from "../mail/setup.ts";
import { loadEmailTemplates } from "../mail/templates.ts";
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
  const database = await openDatabase(config, log);
  const { mailer, catcher } = await openMailer(config, log);
  const { db } = database;
  let runtime: Awaited<ReturnType<typeof startDigestRuntime>> | undefined;
  try {
    const outcomes = { sent: 0, skipped: 0, failed: 0, retrying: 0 };
    runtime = await startDigestRuntime(config, database.url, sendDeps(config, { db, mailer, emails, log, appSecret }), {
      worker: true,
      onOutcome: (o) => {
        if (o === "sent") outcomes.sent += 1;
        else if (o === "skipped") outcomes.skipped += 1;
        else if (o === "bounced" || o === "gave-up") outcomes.failed += 1;
        else if (o === "retry") outcomes.retrying += 1;
      },
    });
    const startedAt = new Date();
    const plan = await planAllDigests(db, { now: startedAt, date, windowDays: config.sources.trendingWindowDays, onBatch: (ids) => enqueueDigests(runtime!.boss, ids) });
    await recordDigestTotals(db, log, planTotals(plan));
    console.log(`planned ${plan.planned} digest(s); ${plan.skipped} subscriber(s) had no new matching paper (recorded as skipped)`);
    // Finish what an earlier, interrupted run left open too (planned, or claimed by a process that died).
    const leftover = (await db.digest.findMany({ where: { status: { in: ["planned", "sending"] }, plannedAt: { lt: startedAt } }, select: { id: true } })).map((d) => d.id);
    if (leftover.length) {
      console.log(`resuming ${leftover.length} unfinished digest(s) from an earlier run`);
      await enqueueDigests(runtime.boss, leftover);
    }
    const total = plan.planned + leftover.length;
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
    };
    process.once("SIGTERM", interrupt);
    process.once("SIGINT", interrupt);
    if (total) {
      const progress = createProgress("sending", total);
      // Wait until no digest is open (sent, skipped or failed) — retries included.
      let lastSweep = Date.now();
      while (!interrupted) {
        // Digests a killed process had claimed become claimable after the lease: queue them again then.
        if (Date.now() - lastSweep > config.digest.sendLeaseSeconds * 1000) {
          await requeueStalledDigests(db, runtime.boss, new Date(), config.digest.sendLeaseSeconds);
          lastSweep = Date.now();
        }
        const open = await db.digest.count({ where: { status: { in: ["planned", "sending"] } } });
        progress.update(Math.max(0, total - open), `sent ${outcomes.sent}, retrying ${outcomes.retrying}`);
        if (open === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      progress.stop();
    }
    if (interrupted) {
      // Graceful: the worker finishes what it has in flight (in finally); the rest stays queued for the next run.
      console.log("interrupted: finishing the emails in flight; run again to send the rest");
      return 130;
    }
    const final = await db.digest.groupBy({ by: ["status"], where: { updatedAt: { gte: startedAt } }, _count: true });
    console.log(`done: ${final.map((g) => `${g._count} ${g.status}`).join(", ") || "nothing to send"}`);
    if (catcher) console.log("(no app was running: these emails went to a catcher that closes with this command; start the app first to see them at /dev/mail)");
    return final.some((g) => g.status === "failed") ? 1 : 0;
  } finally {
    await runtime?.stop();
    mailer.close();
    await catcher?.stop();
    await database.close();
  }
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
    // A digest not planned yet has no page of its own: the link then goes to the papers list.
    const rendered = renderDigest(emails, result.content, {
      baseUrl: config.publicBaseUrl,
      viewInBrowserUrl: result.digestId ? digestPageUrl({ publicBaseUrl: config.publicBaseUrl, appSecret }, result.digestId) : `${config.publicBaseUrl}/papers`,
      ...subscriberLinks({ publicBaseUrl: config.publicBaseUrl, appSecret }, result.subscriberId),
      postalAddress: config.mail.postalAddress,
      feedbackUrl: (paperId, verdict) => feedbackUrl({ publicBaseUrl: config.publicBaseUrl, appSecret }, result.subscriberId, paperId, verdict),
    });
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
