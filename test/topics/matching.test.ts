// Matching in the database, through the real planner: true reasons, other fields kept out, corpus expansion bounded,
// and keywords shown to readers as they were understood.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAllDigests } from "../../src/digest/plan.ts";
import { whyMatched } from "../../src/digest/render.ts";
import { signSubscriberToken } from "../../src/subscriptions/tokens.ts";
import { refreshMatching } from "../../src/topics/paper-index.ts";
import { addSubscriber, ingestPapers, itemsOf } from "../support/digest.ts";
import { startTestService, TEST_SECRET, type TestService } from "../support/service.ts";

let service: TestService;
const now = new Date();
const days = (n: number) => new Date(now.getTime() - n * 86_400_000);

const PAPERS = {
  continual: {
    title: "Stable Plasticity: Learning a Long Sequence of Tasks Without Catastrophic Forgetting",
    abstract:
      "Neural networks trained on a sequence of tasks overwrite what they learned before. We propose a replay-free method for continual learning that protects the weights earlier tasks rely on, and evaluate it on class-incremental benchmarks with twenty tasks. It forgets less than rehearsal baselines while storing no old data. Future work could also apply the idea to reinforcement learning.",
  },
  process: {
    title: "Step by Step Credit: Checking Every Line of a Solution",
    abstract:
      "Outcome-only scoring misses solutions that reach the right answer by wrong steps. We train a process reward model with process supervision from annotated solution steps and use it to rerank sampled solutions. Reranking with step-level scores beats outcome scoring on grade-school and competition problems.",
  },
  column: {
    title: "Model Predictive Control of a Distillation Column with Uncertain Feed Composition",
    abstract:
      "Distillation columns in chemical plants must hold product purity while the feed changes. We design a model predictive controller that adjusts the reflux ratio and reboiler duty of a tray column from temperature measurements. In a simulated refinery the controller holds purity within specification and saves steam compared with PID control.",
  },
  heat: {
    title: "Heat Diffusion in Layered Composite Plates Under Pulsed Laser Loading",
    abstract:
      "Thermal management of composite plates depends on how heat diffuses across layers. We solve the heat equation for layered plates with a spectral method and measure the thermal diffusivity of carbon-fibre laminates under pulsed laser heating. Predicted and measured heat conduction agree within five percent across layers.",
  },
  grid: {
    title: "Transformer Fault Diagnosis in Distribution Substations from Dissolved Gas Analysis",
    abstract:
      "Power transformers in the electric grid fail when their winding insulation degrades. We combine dissolved gas analysis with load tap changer records to diagnose faults in distribution substations. On five years of utility data the diagnosis finds insulation faults weeks before outages.",
  },
  lora: {
    title: "Tiny Updates, Big Gains: Low-Rank Adapters for Fine-Tuning Billion-Parameter Language Models",
    abstract:
      "Full fine-tuning of large language models needs memory for every weight. We insert low-rank adapters into each attention block and train only them, reaching the quality of full fine-tuning with a fraction of the trainable parameters. The low-rank updates merge into the weights after training, so inference costs nothing extra.",
  },
};

beforeAll(async () => {
  service = await startTestService();
  await ingestPapers(service.database.db, Object.values(PAPERS), days(2));
});
afterAll(async () => {
  await service?.close();
});

async function firstEmailOf(email: string, prefs: Parameters<typeof addSubscriber>[2]) {
  const { db } = service.database;
  const reader = await addSubscriber(db, email, prefs);
  const date = now.toISOString().slice(0, 10);
  await planAllDigests(db, { now, date });
  return itemsOf(db, { subscriberId: reader.id });
}

describe("reasons", () => {
  it("quote the phrase that matched, with the topic", async () => {
    const items = await firstEmailOf("judge@example.com", { topics: ["reward-models"] });
    const item = items.find((i) => i.paper.title === PAPERS.process.title)!;
    expect(whyMatched(item)).toMatch(/^matched “process (reward model|supervision)”.* \(Reward Models & Process Supervision\)$/);
  });

  it("never come from a passing mention in the abstract's last sentence", async () => {
    const rl = await firstEmailOf("rl@example.com", { topics: ["reinforcement-learning"] });
    expect(rl.map((i) => i.paper.title)).not.toContain(PAPERS.continual.title);
    const cl = await firstEmailOf("cl@example.com", { topics: ["continual-learning"] });
    expect(cl.map((i) => i.paper.title)).toContain(PAPERS.continual.title);
  });
});

describe("other fields that share our words", () => {
  it("stay out of the topics whose words they use", async () => {
    const items = [
      ...(await firstEmailOf("distill@example.com", { topics: ["distillation"] })),
      ...(await firstEmailOf("diffuse@example.com", { topics: ["diffusion"] })),
      ...(await firstEmailOf("efficient@example.com", { topics: ["efficiency", "multimodal", "agents"] })),
    ];
    const titles = items.map((i) => i.paper.title);
    for (const paper of [PAPERS.column, PAPERS.heat, PAPERS.grid]) expect(titles).not.toContain(paper.title);
  });

  it("are not pulled in by corpus expansion either", async () => {
    const { db } = service.database;
    const expanded = await db.topicPaper.findMany({ where: { reason: { startsWith: "related" } }, include: { paper: true } });
    for (const paper of [PAPERS.column, PAPERS.heat, PAPERS.grid]) expect(expanded.map((e) => e.paper.title)).not.toContain(paper.title);
  });
});

describe("keywords, as readers see them understood", () => {
  it("the API says which concept a keyword names, what else is searched, and how many recent papers match", async () => {
    const res = await fetch(`${service.baseUrl}/api/keywords?q=${encodeURIComponent("LoRA,origami folding patterns")}`);
    expect(res.status).toBe(200);
    const { keywords } = (await res.json()) as { keywords: { keyword: string; understoodAs: string; concepts: string[]; alsoSearching: string[]; recentMatches: number; days: number }[] };
    expect(keywords[0]).toMatchObject({ keyword: "LoRA", understoodAs: "concept", recentMatches: 1, days: 30 });
    expect(keywords[0]!.alsoSearching.join(" ")).toMatch(/low-rank adapt/i);
    expect(keywords[1]).toMatchObject({ keyword: "origami folding patterns", understoodAs: "text", recentMatches: 0 });
  });

  it("the API counts the recent papers the chosen topics and keywords match together, each paper once", async () => {
    const { db } = service.database;
    await refreshMatching(db);
    const since = days(30);
    const topicPapers = await db.topicPaper.findMany({ where: { topic: { slug: { in: ["reward-models", "continual-learning"] } }, paper: { firstSeenAt: { gte: since } } }, select: { paperId: true } });
    const lora = await db.paper.findFirstOrThrow({ where: { title: PAPERS.lora.title } });
    const expected = new Set([...topicPapers.map((t) => t.paperId), lora.id]).size;
    expect(expected).toBeGreaterThanOrEqual(3);
    const res = await fetch(`${service.baseUrl}/api/keywords?q=LoRA&topics=reward-models,continual-learning`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keywords: unknown[]; matches: { recentMatches: number; days: number; perWeek: number } };
    expect(body.keywords).toHaveLength(1);
    expect(body.matches).toEqual({ recentMatches: expected, days: 30, perWeek: Math.round((expected * 7) / 30) });
    // Topics alone, repeated parameters, and a topic plus the keyword that matches the same paper count it once.
    const topicsOnly = (await (await fetch(`${service.baseUrl}/api/keywords?topics=reward-models&topics=continual-learning`)).json()) as typeof body;
    expect(topicsOnly).toMatchObject({ keywords: [], matches: { recentMatches: new Set(topicPapers.map((t) => t.paperId)).size } });
    const unknown = await fetch(`${service.baseUrl}/api/keywords?topics=no-such-topic`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe("topics");
  });

  it("the preference center shows how many recent papers the saved topics and keywords match", async () => {
    const reader = await addSubscriber(service.database.db, "count@example.com", { topics: ["reward-models"], keywords: ["LoRA"] });
    const page = await (await fetch(`${service.baseUrl}/manage/${signSubscriberToken(TEST_SECRET, reader.id, "manage")}`)).text();
    expect(page).toMatch(/Your topics and keywords match \d+ papers? of the last 30 days \(about \d+ a week\)\./);
  });

  it("the API answers 400 naming the field for bad input", async () => {
    const tooMany = Array.from({ length: 11 }, (_, i) => `kw${i}`).join(",");
    const res = await fetch(`${service.baseUrl}/api/keywords?q=${tooMany}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe("q");
    expect((await fetch(`${service.baseUrl}/api/keywords`)).status).toBe(400);
  });

  it("the preference center shows each saved keyword's understanding, and warns when one matches nothing", async () => {
    const reader = await addSubscriber(service.database.db, "keywords@example.com", { keywords: ["low-rank adaptation", "origami folding patterns"] });
    const page = await (await fetch(`${service.baseUrl}/manage/${signSubscriberToken(TEST_SECRET, reader.id, "manage")}`)).text();
    expect(page).toMatch(/“low-rank adaptation”: understood as Low-Rank Adaptation \(LoRA\) — matches 1 paper of the last 30 days; also searching: /);
    expect(page).toContain("“origami folding patterns”: searched as the words typed — matches no paper of the last 30 days yet");
  });

  it("a keyword reader gets the paper that uses other words for it, with the words quoted", async () => {
    const items = await firstEmailOf("moe-lora@example.com", { keywords: ["LoRA"] });
    expect(items.map((i) => i.paper.title)).toEqual([PAPERS.lora.title]);
    expect(whyMatched(items[0]!)).toMatch(/^matched “low-rank (adapters|updates)”.*\(your keyword “LoRA”\)$/i);
  });
});
