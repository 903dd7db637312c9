// Issue 9's "done when": three simulated days of fetching from the fixture upstreams followed by a digest run. Each
// reader gets that day's new papers, ranked by topic and trend, none twice, with upvotes and arXiv links; arXiv
// down for a day changes nothing but the arXiv-only papers, which arrive a day late.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runSourceJob } from "../../jobs/sources.ts";
import { planAllDigests } from "../../src/digest/plan.ts";
import { enqueueDigests } from "../../src/digest/queue.ts";
import { syncTopics } from "../../src/topics/topics.ts";
import { createTestDatabase } from "../support/database.ts";
import { addSubscriber, eventually, startPipeline } from "../support/digest.ts";
import { startFixtureServer } from "../support/fixture-server.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { sourceDeps, sourcesConfig } from "../support/sources.ts";
import { atomFeed, type FixturePaper, hfJson, paperAbout } from "../support/upstream.ts";

const DAYS = ["2026-11-24", "2026-11-25", "2026-11-26"] as const;
const HOUR = 3_600_000;

interface DayPaper extends FixturePaper {
  /** Upvotes when listed, and gained per hour after (what the fixture Hugging Face reports over time). */
  votes?: { base: number; perHour: number };
  onHf: boolean;
  onArxiv: boolean;
}

/** Each day's papers (text written for this test): two upvoted continual-learning papers, one on agents, one on diffusion on Hugging Face; the first also on arXiv; one continual-learning and one agents paper only on arXiv. */
function papersOf(dayIndex: number): DayPaper[] {
  const day = DAYS[dayIndex]!;
  const n = dayIndex + 1;
  const listed = `${day}T06:00:00Z`;
  const published = `${day}T01:00:00Z`;
  const cl = (suffix: string, name: string) => paperAbout(`2611.1${n}${suffix}`, `Continual Learning with ${name}`, "continual learning and catastrophic forgetting", { published, listed });
  return [
    { ...cl("001", ["Alder", "Aspen", "Acacia"][dayIndex]!), version: 2, votes: { base: 5, perHour: 12 }, onHf: true, onArxiv: true },
    { ...cl("002", ["Birch", "Beech", "Baobab"][dayIndex]!), votes: { base: 2, perHour: 3 }, onHf: true, onArxiv: false },
    { ...paperAbout(`2611.1${n}003`, `Tool Use for LLM Agents, Study ${n}`, "LLM agent tool use", { published, listed }), votes: { base: 3, perHour: 6 }, onHf: true, onArxiv: false },
    { ...paperAbout(`2611.1${n}004`, `Latent Diffusion Sampling, Study ${n}`, "latent diffusion model image generation", { published, listed }), votes: { base: 1, perHour: 2 }, onHf: true, onArxiv: false },
    { ...cl("101", ["Cedar", "Cypress", "Chestnut"][dayIndex]!), onHf: false, onArxiv: true },
    { ...paperAbout(`2611.1${n}102`, `Tool Use for LLM Agents, Preprint ${n}`, "LLM agent tool use", { published }), onHf: false, onArxiv: true },
  ];
}
const ALL = DAYS.flatMap((_, i) => papersOf(i));
const byTitle = (title: string) => ALL.find((p) => p.title === title)!;

const READERS = [
  { email: "continual@example.com", topics: ["continual-learning"] },
  { email: "agents@example.com", topics: ["agents"] },
  { email: "diffusion@example.com", topics: ["diffusion"] },
];

interface Simulation {
  /** Per day, per reader: titles in the email's order. */
  emails: Record<string, Record<string, string[]>>;
  /** Per day: each source run's status. */
  runs: Record<string, string[]>;
  htmlOf: (day: string, email: string) => string;
}

async function simulate(opts: { arxivDownOn?: string }): Promise<Simulation> {
  const database = await createTestDatabase();
  const corpusDir = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-days-"));
  const clock = { now: new Date(`${DAYS[0]}T00:00:00Z`) };
  const upstream = await startFixtureServer();
  let sink: SmtpSink | undefined;
  let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;
  try {
    await syncTopics(database.db);
    for (const r of READERS) await addSubscriber(database.db, r.email, { topics: r.topics, maxPapers: 5 });
    const today = () => clock.now.toISOString().slice(0, 10);
    upstream.handle((req) => {
      const t = clock.now.getTime();
      if (req.path === "/api/daily_papers") {
        // Listed least-upvoted first, so a ranking by list position would get the order wrong.
        const listedOn = ALL.filter((p) => p.onHf && p.listed!.slice(0, 10) === req.query.get("date") && Date.parse(p.listed!) <= t).sort((a, b) => a.votes!.base - b.votes!.base);
        return { body: hfJson(listedOn.map((p) => ({ ...p, upvotes: p.votes!.base + Math.floor((p.votes!.perHour * (t - Date.parse(p.listed!))) / HOUR) }))) };
      }
      if (req.path === "/api/query") {
        if (today() === opts.arxivDownOn) return { status: 503 };
        // The newest submissions announced so far, newest first.
        const announced = ALL.filter((p) => p.onArxiv && Date.parse(p.published) <= t).reverse();
        return { body: atomFeed(announced) };
      }
      return { status: 404 };
    });
    const config = sourcesConfig(upstream.url, { SOURCES: "folder,huggingface,arxiv", CORPUS_DIR: corpusDir, ARXIV_MAX_RESULTS: "50" });
    const deps = sourceDeps(database, config, clock);
    sink = await startSmtpSink();
    pipeline = await startPipeline(database.db, database.url, sink.url);

    const sim: Simulation = { emails: {}, runs: {}, htmlOf: () => "" };
    const html = new Map<string, string>();
    for (const day of DAYS) {
      // Morning: every source; afternoon: the hourly Hugging Face job again (upvotes have grown); then the digests.
      clock.now = new Date(`${day}T10:00:00Z`);
      const runs = [];
      for (const name of config.sources.enabled) runs.push(await runSourceJob(deps, name));
      clock.now = new Date(`${day}T14:00:00Z`);
      runs.push(await runSourceJob(deps, "huggingface"));
      runs.push(await runSourceJob(deps, "arxiv")); // same announcement cycle: skipped (or retried after an outage)
      sim.runs[day] = runs.map((r) => `${r!.source} ${r!.status}`);

      clock.now = new Date(`${day}T17:00:00Z`);
      sink.clear();
      await planAllDigests(database.db, { now: clock.now, date: day, windowDays: config.sources.trendingWindowDays, onBatch: (ids) => enqueueDigests(pipeline!.boss, ids) });
      await eventually(async () => (await database.db.digest.count({ where: { status: { in: ["planned", "sending"] } } })) === 0);
      sim.emails[day] = {};
      for (const r of READERS) {
        const mails = sink.to(r.email);
        expect(mails.length, `${day} ${r.email}`).toBeLessThanOrEqual(1);
        sim.emails[day]![r.email] = mails[0] ? [...mails[0].text.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1]!) : [];
        if (mails[0]) html.set(`${day} ${r.email}`, mails[0].html);
      }
    }
    sim.htmlOf = (day, email) => html.get(`${day} ${email}`) ?? "";
    return sim;
  } finally {
    await pipeline?.stop();
    await sink?.stop();
    await upstream.close();
    await database.drop();
    fs.rmSync(corpusDir, { recursive: true, force: true });
  }
}

describe("three days of live sources and digests", () => {
  let normal: Simulation;
  let outage: Simulation;
  beforeAll(async () => {
    [normal, outage] = await Promise.all([simulate({}), simulate({ arxivDownOn: DAYS[1] })]);
  }, 120_000);

  it("gives each reader that day's new papers, ranked by topic and trend", () => {
    const titles = (dayIndex: number, pick: number[]) => pick.map((i) => papersOf(dayIndex)[i]!.title);
    for (const [i, day] of DAYS.entries()) {
      expect(normal.runs[day], day).toEqual(["folder ok", "huggingface ok", "arxiv ok", "huggingface ok", "arxiv skipped"]);
      // Most upvotes gained per hour first; the arXiv-only paper (no signal yet) after the upvoted ones.
      expect(normal.emails[day]!["continual@example.com"], day).toEqual(titles(i, [0, 1, 4]));
      expect(normal.emails[day]!["agents@example.com"], day).toEqual(titles(i, [2, 5]));
      expect(normal.emails[day]!["diffusion@example.com"], day).toEqual(titles(i, [3]));
    }
  });

  it("never sends a reader the same paper twice", () => {
    for (const r of READERS) {
      const all = DAYS.flatMap((day) => normal.emails[day]![r.email]!);
      expect(new Set(all).size, r.email).toBe(all.length);
    }
  });

  it("shows upvotes, authors and arXiv and PDF links in the email", () => {
    const html = normal.htmlOf(DAYS[0], "continual@example.com");
    const top = byTitle(normal.emails[DAYS[0]]!["continual@example.com"]![0]!);
    // Upvotes as last observed (14:00): 5 + 12 per hour for 8 hours.
    expect(html).toContain("▲ 101 · Ada Example, Grace Sample, Alan Fixture et al.");
    expect(html).toContain(`href="https://arxiv.org/abs/${top.id}"`);
    expect(html).toContain(`href="https://arxiv.org/pdf/${top.id}"`);
    // The arXiv-only paper has its links too, and no upvotes.
    const arxivOnly = papersOf(0)[4]!;
    expect(html).toContain(`href="https://arxiv.org/abs/${arxivOnly.id}"`);
  });

  it("keeps going when arXiv is down for a day: only the arXiv-only papers change, arriving the next day", () => {
    expect(outage.runs[DAYS[1]]).toEqual(["folder ok", "huggingface ok", "arxiv failed", "huggingface ok", "arxiv failed"]);
    expect(outage.runs[DAYS[2]]).toEqual(normal.runs[DAYS[2]]);
    const late = (index: number) => papersOf(1)[index]!.title;
    expect(outage.emails[DAYS[0]]).toEqual(normal.emails[DAYS[0]]);
    expect(outage.emails[DAYS[1]]).toEqual({
      "continual@example.com": normal.emails[DAYS[1]]!["continual@example.com"]!.filter((t) => t !== late(4)),
      "agents@example.com": normal.emails[DAYS[1]]!["agents@example.com"]!.filter((t) => t !== late(5)),
      "diffusion@example.com": normal.emails[DAYS[1]]!["diffusion@example.com"],
    });
    // Day 3: that day's papers as usual, then yesterday's arXiv-only paper, first seen today.
    expect(outage.emails[DAYS[2]]!["continual@example.com"]).toEqual([...normal.emails[DAYS[2]]!["continual@example.com"]!, late(4)]);
    expect(outage.emails[DAYS[2]]!["agents@example.com"]).toEqual([...normal.emails[DAYS[2]]!["agents@example.com"]!, late(5)]);
    expect(outage.emails[DAYS[2]]!["diffusion@example.com"]).toEqual(normal.emails[DAYS[2]]!["diffusion@example.com"]);
  });
});
