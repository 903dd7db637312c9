// Prometheus metrics (prom-client) of one process: what happened here (counters and histograms, incremented where it
// happens) and the state of the service (gauges read from the database when scraped, the same in every process).
// One registry per process, passed around like any dependency; nothing registers in prom-client's global registry.
import client from "prom-client";
import type { Db } from "../db/client.ts";
import { DIGEST_EVENTS } from "../digest/totals.ts";
import { readDatabaseSnapshot, type DatabaseSnapshot } from "./queries.ts";

export const SMTP_ERROR_CLASSES = ["recipient_rejected", "rejected", "auth", "temporary", "timeout", "connection", "other"] as const;
export type SmtpErrorClass = (typeof SMTP_ERROR_CLASSES)[number];

/** What the digest pipeline reports: the one interface its code sees. */
export interface DigestMetrics {
  /** A planning run: digests planned (with papers), and readers recorded as skipped because nothing was new. */
  digestsPlanned(planned: number, skippedNothingNew: number): void;
  /** A send worker's outcome for one digest (the worker's onOutcome). */
  digestOutcome(outcome: string): void;
}

export interface Metrics extends DigestMetrics {
  readonly registry: client.Registry;
  readonly httpDuration: client.Histogram<"method" | "route" | "status">;
  readonly emailSendDuration: client.Histogram<"kind">;
  readonly smtpErrors: client.Counter<"class">;
  /** The exposition text, with the database gauges refreshed (left out when the database does not answer in time). */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  db: Db;
  now?: () => Date;
  /** Longest wait for the database gauges before a scrape is answered without them. */
  databaseTimeoutMs?: number;
  /** Default process metrics (CPU, memory, event loop, GC); off in tests that build many registries. */
  processMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new client.Registry();
  // Gauges set from the database at scrape time live in their own registry, which is left out of a scrape when the
  // database does not answer: an absent series says "unknown", a stale or zero one would lie.
  const stateRegistry = new client.Registry();
  if (opts.processMetrics !== false) client.collectDefaultMetrics({ register: registry });
  const now = opts.now ?? (() => new Date());

  const httpDuration = new client.Histogram({
    name: "tpd_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern (never the raw path: it may hold a link token) and status code",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const planned = counter(registry, "tpd_digests_planned_total", "Digests planned (a reader's email for a local date, with its papers) by this process's scheduler");
  const skipped = new client.Counter({
    name: "tpd_digests_skipped_total",
    help: "Digests recorded as skipped: nothing_new (planning found no new matching paper), inactive (the reader left or was suppressed after planning)",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const sent = counter(registry, "tpd_digests_sent_total", "Digests the SMTP server accepted, sent by this process's worker");
  const failed = counter(registry, "tpd_digests_failed_total", "Digests given up after DIGEST_MAX_ATTEMPTS temporary failures");
  const bounced = counter(registry, "tpd_digests_bounced_total", "Digests whose recipient the SMTP server rejected permanently (address suppressed)");
  const retried = counter(registry, "tpd_digest_send_retries_total", "Temporary send failures queued again with backoff");
  const emailSendDuration = new client.Histogram({
    name: "tpd_email_send_duration_seconds",
    help: "Time from handing a message to the SMTP pool until the server accepted it; kind: digest or transactional (confirmations, manage links)",
    labelNames: ["kind"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const smtpErrors = new client.Counter({
    name: "tpd_smtp_errors_total",
    help: "Failed SMTP sends by class: recipient_rejected (5xx to RCPT TO), rejected (other 5xx), auth, temporary (4xx), timeout, connection, other",
    labelNames: ["class"] as const,
    registers: [registry],
  });
  // Every label value from the start at 0, so rate() and increase() see the first event.
  for (const reason of ["nothing_new", "inactive"]) skipped.inc({ reason }, 0);
  for (const c of SMTP_ERROR_CLASSES) smtpErrors.inc({ class: c }, 0);
  const databaseUp = gauge(registry, "tpd_database_up", "1 when the database answered this scrape's queries, else 0 (and the tpd_ state gauges are absent)");

  const queueDepth = new client.Gauge({
    name: "tpd_digest_queue_depth",
    help: "Digests waiting to be sent (planned, including retries waiting out their backoff) or being sent (sending), from the database",
    labelNames: ["state"] as const,
    registers: [stateRegistry],
  });
  const events = new client.Counter({
    name: "tpd_digest_events_total",
    help: "The send pipeline's events summed over every process, CLI digest runs included, from the database (digest_totals): planned, skipped_nothing_new, sent, skipped_inactive, bounced, failed (given up), retried",
    labelNames: ["event"] as const,
    registers: [stateRegistry],
  });
  const oldestPlanned = gauge(stateRegistry, "tpd_digest_oldest_planned_age_seconds", "Age of the oldest digest still planned (0 when none): sending is behind when it grows");
  const recent = new client.Gauge({
    name: "tpd_digests_recent",
    help: "Digests for local dates from yesterday (UTC) on, by status, from the database: the same in every process, and counting what CLI runs sent",
    labelNames: ["status"] as const,
    registers: [stateRegistry],
  });
  const corpusAge = gauge(stateRegistry, "tpd_corpus_newest_paper_age_seconds", "Time since the newest paper was first seen, from any source");
  const sourceAdded = new client.Gauge({
    name: "tpd_source_last_paper_added_age_seconds",
    help: "Per source: time since the end of the last successful run that added a paper (source_runs)",
    labelNames: ["source"] as const,
    registers: [stateRegistry],
  });
  const sourceOk = new client.Gauge({
    name: "tpd_source_last_success_age_seconds",
    help: "Per source: time since the end of its last successful run (source_runs)",
    labelNames: ["source"] as const,
    registers: [stateRegistry],
  });

  const applySnapshot = (s: DatabaseSnapshot) => {
    const at = now().getTime();
    const age = (d: Date | null) => (d ? Math.max(0, (at - d.getTime()) / 1000) : undefined);
    queueDepth.set({ state: "planned" }, s.queue.planned);
    queueDepth.set({ state: "sending" }, s.queue.sending);
    oldestPlanned.set(age(s.queue.oldestPlannedAt) ?? 0);
    // A counter read from the database: set to the stored total (never lower than before, as rows only grow).
    events.reset();
    for (const event of DIGEST_EVENTS) events.inc({ event }, s.digestTotals[event] ?? 0);
    recent.reset();
    for (const [status, count] of Object.entries(s.recentByStatus)) recent.set({ status }, count);
    corpusAge.reset();
    const newest = age(s.newestPaperAt);
    if (newest !== undefined) corpusAge.set(newest);
    sourceAdded.reset();
    sourceOk.reset();
    for (const source of s.sources) {
      const added = age(source.lastAddedAt);
      const ok = age(source.lastOkAt);
      if (added !== undefined) sourceAdded.set({ source: source.source }, added);
      if (ok !== undefined) sourceOk.set({ source: source.source }, ok);
    }
  };

  return {
    registry,
    httpDuration,
    emailSendDuration,
    smtpErrors,
    contentType: registry.contentType,
    digestsPlanned(count, skippedNothingNew) {
      planned.inc(count);
      skipped.inc({ reason: "nothing_new" }, skippedNothingNew);
    },
    digestOutcome(outcome) {
      if (outcome === "sent") sent.inc();
      else if (outcome === "skipped") skipped.inc({ reason: "inactive" });
      else if (outcome === "bounced") bounced.inc();
      else if (outcome === "gave-up") failed.inc();
      else if (outcome === "retry") retried.inc();
    },
    async render() {
      const snapshot = await withTimeout(readDatabaseSnapshot(opts.db, now()), opts.databaseTimeoutMs ?? 5000).catch(() => undefined);
      databaseUp.set(snapshot ? 1 : 0);
      if (snapshot) applySnapshot(snapshot);
      return (await registry.metrics()) + (snapshot ? await stateRegistry.metrics() : "");
    },
  };
}

function counter(registry: client.Registry, name: string, help: string) {
  return new client.Counter({ name, help, registers: [registry] });
}

function gauge(registry: client.Registry, name: string, help: string) {
  return new client.Gauge({ name, help, registers: [registry] });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
