// The operator dashboard's content: figures from the database, drawn as SVG charts, ready for the page template.
import type { Db } from "../db/client.ts";
import { readQueueState } from "../metrics/queries.ts";
import { lineChart, rankedBarChart, stackedBarChart } from "./charts.ts";
import { dayRange, readConfirmations, readEmailsPerDay, readLastDigestRun, readPapersPerDay, readSubscriberHistory, readTopInterests, type DigestRun } from "./queries.ts";

const STATE_COLORS = { active: "#2563eb", paused: "#7c3aed", pending: "#d97706", unsubscribed: "#6b7280", bounced: "#dc2626" } as const;

export interface Dashboard {
  generatedAt: string;
  charts: Record<"subscribers" | "emails" | "confirmations" | "topics" | "keywords" | "papers", string>;
  confirmations: { openNow: number; closedInRange: number };
  lastRun: ReturnType<typeof describeRun>;
  queue: { planned: number; sending: number; oldestPlannedMinutes: number | null };
}

export async function buildDashboard(db: Db, now: Date): Promise<Dashboard> {
  const days90 = dayRange(now, 90);
  const days30 = dayRange(now, 30);
  const [subscribers, emails, confirmations, interests, papers, lastRun, queue] = await Promise.all([
    readSubscriberHistory(db, days90),
    readEmailsPerDay(db, days30),
    readConfirmations(db, days30, now),
    readTopInterests(db),
    readPapersPerDay(db, days30),
    readLastDigestRun(db, now),
    readQueueState(db),
  ]);
  return {
    generatedAt: now.toISOString().slice(0, 16).replace("T", " "),
    charts: {
      subscribers: lineChart({
        id: "chart-subscribers",
        title: "Subscribers by state, last 90 days",
        width: 1200,
        days: days90,
        series: (Object.keys(STATE_COLORS) as (keyof typeof STATE_COLORS)[]).map((state) => ({ name: state, color: STATE_COLORS[state], values: subscribers[state] })),
      }),
      emails: stackedBarChart({
        id: "chart-emails",
        title: "Digest emails per day, last 30 days",
        days: days30,
        series: [
          { name: "sent", color: "#16a34a", values: emails.sent },
          { name: "failed", color: "#ea580c", values: emails.failed },
          { name: "bounced", color: "#dc2626", values: emails.bounced },
        ],
      }),
      confirmations: stackedBarChart({
        id: "chart-confirmations",
        title: "Confirmation links by the day they were sent, last 30 days",
        days: days30,
        series: [
          { name: "closed", color: "#16a34a", values: confirmations.perDay.closed },
          { name: "expired", color: "#9ca3af", values: confirmations.perDay.expired },
          { name: "open", color: "#d97706", values: confirmations.perDay.open },
        ],
      }),
      topics: rankedBarChart({ id: "chart-topics", title: "Top topics (readers who get emails)", items: interests.topics, color: "#2563eb" }),
      keywords: rankedBarChart({ id: "chart-keywords", title: "Top keywords (readers who get emails)", items: interests.keywords, color: "#0d9488" }),
      papers: stackedBarChart({ id: "chart-papers", title: "Papers added per day (first seen), last 30 days", width: 1200, days: days30, series: [{ name: "papers", color: "#4f46e5", values: papers }] }),
    },
    confirmations: { openNow: confirmations.openNow, closedInRange: confirmations.closedInRange },
    lastRun: describeRun(lastRun, now),
    queue: {
      planned: queue.planned,
      sending: queue.sending,
      oldestPlannedMinutes: queue.oldestPlannedAt ? Math.max(0, Math.round((now.getTime() - queue.oldestPlannedAt.getTime()) / 60_000)) : null,
    },
  };
}

/** The last run in words: when, how long, and how it ended. */
export function describeRun(run: DigestRun | null, now: Date) {
  if (!run) return null;
  const open = run.planned + run.sending;
  const end = open ? now : (run.finishedAt ?? run.plannedAt);
  const seconds = Math.max(0, Math.round((end.getTime() - run.plannedAt.getTime()) / 1000));
  const result = open ? "in progress" : run.failed ? "finished with failures" : "finished";
  return {
    plannedAt: run.plannedAt.toISOString().slice(0, 19).replace("T", " "),
    finishedAt: open || !run.finishedAt ? null : run.finishedAt.toISOString().slice(0, 19).replace("T", " "),
    duration: formatDuration(seconds),
    result,
    ok: !open && !run.failed,
    counts: { total: open + run.sent + run.skipped + run.failed, open, sent: run.sent, skipped: run.skipped, failed: run.failed },
  };
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}
