// Measures matching the way a reader experiences it: one reader per topic and per keyword interest, a week of daily
// 5-paper digests planned by the real planner, judged against labels a person gave each paper. Optionally a second
// set of readers who press "more like this" / "less like this" on their first two emails, going by the labels.
import fs from "node:fs";
import path from "node:path";
import { parseCorpus, type ParsedPaper } from "../../src/corpus/parse.ts";
import { fromSavedPage } from "../../src/corpus/ingest.ts";
import { storePapers } from "../../src/corpus/store.ts";
import { paperKey } from "../../src/corpus/text.ts";
import type { Db } from "../../src/db/client.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { recordFeedback } from "../../src/feedback/feedback.ts";
import { TOPICS } from "../../src/topics/catalog.ts";
import { itemsOf } from "./digest.ts";
import { parseReason } from "../../src/topics/reasons.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { SHARED_CORPUS_DIR } from "./corpus.ts";

export interface LabelledPaper {
  key: string;
  title: string;
  abstract: string;
  topics: string[];
  interests: string[];
  hardNegative: boolean;
}

export interface EvaluationSet {
  name: string;
  papers: LabelledPaper[];
  interests: { id: string; keyword: string }[];
}

/** A set written for the repo: test/fixtures/matching/<file>.json. */
export function loadWrittenSet(file: string): EvaluationSet {
  const raw = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "..", "fixtures", "matching", file), "utf8")) as {
    set: string;
    interests: { id: string; keyword: string }[];
    papers: { title: string; abstract: string; topics: string[]; interests: string[]; hardNegative?: boolean }[];
  };
  return {
    name: raw.set,
    interests: raw.interests,
    papers: raw.papers.map((p) => ({ key: paperKey(p.title), title: p.title, abstract: p.abstract, topics: p.topics, interests: p.interests ?? [], hardNegative: Boolean(p.hardNegative) })),
  };
}

/** The shared corpus with the topic labels (and interest labels, where given) kept beside the tests, by paper key. */
export function loadSharedSet(): EvaluationSet {
  const fixtures = path.join(import.meta.dirname, "..", "fixtures");
  const topicLabels = JSON.parse(fs.readFileSync(path.join(fixtures, "topic-labels.json"), "utf8")) as { papers: { key: string; topics: string[] }[] };
  const interestFile = path.join(fixtures, "interest-labels.json");
  const interestLabels = fs.existsSync(interestFile)
    ? (JSON.parse(fs.readFileSync(interestFile, "utf8")) as { interests: { id: string; keyword: string }[]; papers: { key: string; interests: string[] }[] })
    : { interests: [], papers: [] };
  const topics = new Map(topicLabels.papers.map((p) => [p.key, p.topics]));
  const interests = new Map(interestLabels.papers.map((p) => [p.key, p.interests]));
  const papers: LabelledPaper[] = [];
  for (const file of fs.readdirSync(SHARED_CORPUS_DIR).filter((f) => f.endsWith(".txt")).sort()) {
    for (const p of parseCorpus(fs.readFileSync(path.join(SHARED_CORPUS_DIR, file)), file).papers) {
      papers.push({ key: p.key, title: p.displayTitle, abstract: p.abstract, topics: topics.get(p.key) ?? [], interests: interests.get(p.key) ?? [], hardNegative: false });
    }
  }
  return { name: "shared", papers, interests: interestLabels.interests };
}

export interface ReaderResult {
  id: string;
  label: string;
  relevantInSet: number;
  firstEmail: { shown: number; relevant: number; precision: number };
  week: { delivered: number; relevant: number; recall: number };
  /** Precision over the first four emails together (small topics run out of papers: then no email, not a bad one). */
  firstFourEmails: number;
  /** Papers of the week by how they matched (a concept, the keyword's words, corpus expansion, a liked paper), and how many of those were relevant. */
  via: Record<string, { papers: number; relevant: number }>;
  hardNegativesInFirstEmail: number;
  /** Only with feedback: precision of emails 3-5 for the reader without and with feedback (null: no paper sent). */
  laterEmails?: { without: number | null; with: number | null };
}

export interface Evaluation {
  set: string;
  topics: ReaderResult[];
  interests: ReaderResult[];
}

const DAYS = 7;
const PER_EMAIL = 5;
const FIRST_DAY = Date.UTC(2026, 0, 5);

/** Days over which papers arrive in the "daily" protocol. */
const ARRIVAL_DAYS = 5;

/**
 * Plans a week for one reader per topic and per interest (and, with `feedback`, their twins who vote on their first two
 * emails) and scores it. `arrivals`: "together" puts every paper on the first day's page (precision of the first
 * email, recall over a week); "daily" spreads them over five days' pages, as a reader meets them (the feedback effect).
 */
export async function evaluateMatching(db: Db, set: EvaluationSet, opts: { feedback?: boolean; arrivals?: "together" | "daily" } = {}): Promise<Evaluation> {
  await syncTopics(db);
  const ranked = withShuffledRanks(set.papers);
  const arrivalDays = opts.arrivals === "daily" ? ARRIVAL_DAYS : 1;
  const byKey = new Map(set.papers.map((p) => [p.key, p]));
  const topicIds = new Map((await db.topic.findMany()).map((t) => [t.slug, t.id]));

  type Reader = { id: string; label: string; relevant: (p: LabelledPaper) => boolean; emails: { plain: string; feedback: string } };
  const readers: { kind: "topics" | "interests"; reader: Reader }[] = [];
  for (const topic of TOPICS) {
    readers.push({ kind: "topics", reader: { id: topic.slug, label: topic.slug, relevant: (p) => p.topics.includes(topic.slug), emails: { plain: `t-${topic.slug}@eval.test`, feedback: `ft-${topic.slug}@eval.test` } } });
  }
  for (const interest of set.interests) {
    readers.push({ kind: "interests", reader: { id: interest.id, label: interest.keyword, relevant: (p) => p.interests.includes(interest.id), emails: { plain: `i-${interest.id}@eval.test`, feedback: `fi-${interest.id}@eval.test` } } });
  }
  for (const { kind, reader } of readers) {
    const prefs = kind === "topics" ? { topics: { create: [{ topicId: topicIds.get(reader.id)! }] } } : { keywords: [set.interests.find((i) => i.id === reader.id)!.keyword] };
    for (const email of opts.feedback ? [reader.emails.plain, reader.emails.feedback] : [reader.emails.plain]) {
      await db.subscriber.create({ data: { email, status: "active", maxPapers: PER_EMAIL, confirmedAt: new Date(FIRST_DAY), ...prefs } });
    }
  }

  const feedbackReaders = new Map(readers.map(({ reader }) => [reader.emails.feedback, reader]));
  for (let day = 0; day < DAYS; day++) {
    const date = new Date(FIRST_DAY + day * 86_400_000).toISOString().slice(0, 10);
    const arriving = ranked.filter((_, i) => i % arrivalDays === day);
    if (arriving.length) {
      await storePapers(db, fromSavedPage(arriving.map((p, i) => ({ ...p, rank: i + 1 }))), { source: "folder", seenIn: `${set.name}-${day}.txt`, seenAt: new Date(`${date}T00:00:00Z`) });
    }
    await planAllDigests(db, { now: new Date(`${date}T12:00:00Z`), date });
    // The feedback twins judge their first two emails by the labels.
    if (opts.feedback && day < 2) {
      const items = await itemsOf(db, { localDate: new Date(date), subscriber: { email: { in: [...feedbackReaders.keys()] } } });
      for (const item of items) {
        const reader = feedbackReaders.get(item.digest.subscriber.email)!;
        const paper = byKey.get(item.paper.key);
        await recordFeedback(db, item.digest.subscriber.id, item.paperId, paper && reader.relevant(paper) ? "more" : "less");
      }
    }
  }

  const emailsOf = async (email: string) => {
    const items = await itemsOf(db, { subscriber: { email } });
    const days = new Map<number, LabelledPaper[]>();
    const how = new Map<string, string>();
    for (const item of items) {
      const day = Math.round((item.digest.localDate.getTime() - FIRST_DAY) / 86_400_000);
      const paper = byKey.get(item.paper.key);
      if (paper) days.set(day, [...(days.get(day) ?? []), paper]);
      const strongest = parseReason(item.reasons[0] ?? "");
      if (paper) how.set(paper.key, strongest?.kind === "liked" ? "liked" : (strongest?.via ?? "unknown"));
    }
    return Object.assign(days, { how });
  };

  const result: Evaluation = { set: set.name, topics: [], interests: [] };
  for (const { kind, reader } of readers) {
    const emails = await emailsOf(reader.emails.plain);
    const firstDay = Math.min(...emails.keys(), Infinity);
    const first = emails.get(firstDay) ?? [];
    const all = [...emails.values()].flat();
    const relevantInSet = set.papers.filter(reader.relevant).length;
    const row: ReaderResult = {
      id: reader.id,
      label: reader.label,
      relevantInSet,
      firstEmail: { shown: first.length, relevant: first.filter(reader.relevant).length, precision: ratio(first.filter(reader.relevant).length, first.length) },
      // A week holds DAYS × PER_EMAIL papers: recall is measured against what it could hold.
      week: { delivered: all.length, relevant: all.filter(reader.relevant).length, recall: ratio(all.filter(reader.relevant).length, Math.min(relevantInSet, DAYS * PER_EMAIL)) },
      hardNegativesInFirstEmail: first.filter((p) => p.hardNegative).length,
      via: tally(all, emails.how, reader.relevant),
      firstFourEmails: ratio([...emails.keys()].sort((a, b) => a - b).slice(0, 4).flatMap((d) => emails.get(d)!).filter(reader.relevant).length, [...emails.keys()].sort((a, b) => a - b).slice(0, 4).flatMap((d) => emails.get(d)!).length),
    };
    if (opts.feedback) {
      const later = (days: Map<number, LabelledPaper[]>) => [2, 3, 4].flatMap((d) => days.get(d) ?? []);
      const withFeedback = later(await emailsOf(reader.emails.feedback));
      const without = later(emails);
      const precision = (papers: LabelledPaper[]) => (papers.length ? papers.filter(reader.relevant).length / papers.length : null);
      row.laterEmails = { without: precision(without), with: precision(withFeedback) };
    }
    result[kind].push(row);
  }
  return result;
}

function tally(papers: LabelledPaper[], how: Map<string, string>, relevant: (p: LabelledPaper) => boolean) {
  const via: Record<string, { papers: number; relevant: number }> = {};
  for (const p of papers) {
    const kind = how.get(p.key) ?? "unknown";
    via[kind] ??= { papers: 0, relevant: 0 };
    via[kind].papers += 1;
    if (relevant(p)) via[kind].relevant += 1;
  }
  return via;
}

const fixed = (v: number | null) => (v === null ? "—" : v.toFixed(2));

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Page positions in a fixed pseudo-random order, so the order a set was written in does not rank its papers. */
function withShuffledRanks(papers: LabelledPaper[]): ParsedPaper[] {
  let seed = 20261125;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const order = papers.map((p, i) => ({ p, i, r: random() })).sort((a, b) => a.r - b.r);
  return order.map(({ p }, rank) => ({ key: p.key, title: p.title, displayTitle: p.title, abstract: p.abstract, links: [], rank: rank + 1, line: rank + 1 }));
}

export function macro(rows: ReaderResult[], pick: (r: ReaderResult) => number | null): number {
  const values = rows.map(pick).filter((v): v is number => v !== null);
  return values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : 0;
}

/** Readers who got papers in emails 3–5 both with and without feedback: the feedback comparison is made over them. */
export function comparableLater(rows: ReaderResult[]): ReaderResult[] {
  return rows.filter((r) => r.laterEmails && r.laterEmails.with !== null && r.laterEmails.without !== null);
}

/** A Markdown table of one evaluation, for the test log and the README. */
export function formatEvaluation(e: Evaluation, opts: { hideLabels?: boolean } = {}): string {
  const line = (r: ReaderResult) =>
    `| ${opts.hideLabels ? r.id : r.label} | ${r.relevantInSet} | ${r.firstEmail.precision.toFixed(2)} (${r.firstEmail.relevant}/${r.firstEmail.shown}) | ${r.week.recall.toFixed(2)} (${r.week.relevant}/${Math.min(r.relevantInSet, DAYS * PER_EMAIL)}) |${r.laterEmails ? ` ${fixed(r.laterEmails.without)} → ${fixed(r.laterEmails.with)} |` : ""}`;
  const head = (what: string) =>
    [`| ${what} | relevant papers | precision, first email | recall, one week |${e.topics[0]?.laterEmails ? " emails 3–5: no feedback → feedback |" : ""}`, `| --- | --- | --- | --- |${e.topics[0]?.laterEmails ? " --- |" : ""}`];
  const summary = (rows: ReaderResult[]) =>
    `| **macro average** | | **${macro(rows, (r) => r.firstEmail.precision).toFixed(2)}** | **${macro(rows, (r) => r.week.recall).toFixed(2)}** |${rows[0]?.laterEmails ? ` **${macro(comparableLater(rows), (r) => r.laterEmails!.without).toFixed(2)} → ${macro(comparableLater(rows), (r) => r.laterEmails!.with).toFixed(2)}** |` : ""}`;
  const via = (rows: ReaderResult[]) => {
    const total: Record<string, { papers: number; relevant: number }> = {};
    for (const r of rows) for (const [k, v] of Object.entries(r.via)) ((total[k] ??= { papers: 0, relevant: 0 }).papers += v.papers), (total[k].relevant += v.relevant);
    return `Papers of the week by how they matched (relevant/sent): ${Object.entries(total).map(([k, v]) => `${k} ${v.relevant}/${v.papers}`).join(", ")}.`;
  };
  const parts = [`${e.set}: topics`, ...head("topic"), ...e.topics.map(line), summary(e.topics), "", via(e.topics)];
  if (e.interests.length) parts.push("", `${e.set}: keyword interests`, ...head("interest"), ...e.interests.map(line), summary(e.interests), "", via(e.interests));
  return parts.join("\n");
}
