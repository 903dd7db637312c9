// The thesaurus as data, and the matcher that reads it: the cases readers complained about, spelling and word-form
// variants, case-sensitive acronyms, and words shared with other fields.
import { describe, expect, it } from "vitest";
import { TOPICS } from "../../src/topics/catalog.ts";
import { understandKeyword } from "../../src/topics/keywords.ts";
import { matchPaper, zonePaper } from "../../src/topics/match.ts";
import { tokenize } from "../../src/topics/tokenize.ts";
import { checkVocabulary, CONCEPTS, projectVocabulary } from "../../src/topics/vocabulary/index.ts";

const vocabulary = projectVocabulary();
const conceptsIn = (title: string, abstract = "") => matchPaper(vocabulary.matcher, zonePaper({ title, abstract })).map((h) => h.conceptId);

describe("the thesaurus", () => {
  it("holds several hundred concepts with unique ids, names, and references that resolve", () => {
    expect(checkVocabulary(CONCEPTS)).toEqual([]);
    expect(CONCEPTS.length).toBeGreaterThanOrEqual(500);
    for (const c of CONCEPTS) expect(c.aliases.length + (c.acronyms?.length ?? 0), c.id).toBeGreaterThan(0);
    expect(CONCEPTS.filter((c) => c.field === "other").length).toBeGreaterThanOrEqual(40);
  });

  it("defines every topic with concepts that exist", () => {
    for (const topic of TOPICS) {
      for (const id of [...Object.keys(topic.concepts), ...(topic.exclude ?? [])]) expect(vocabulary.concepts.has(id), `${topic.slug}: ${id}`).toBe(true);
    }
  });

  it("has no one-word alias that is an everyday or generic research word", () => {
    const generic = new Set(["model", "models", "learning", "data", "agent", "agents", "reward", "policy", "image", "video", "attention", "reasoning", "training", "task", "method", "network", "teacher", "student", "cache", "judge"]);
    const offenders = CONCEPTS.flatMap((c) => c.aliases.filter((a) => tokenize(a).length === 1 && generic.has(a.toLowerCase())).map((a) => `${c.id}: ${a}`));
    expect(offenders).toEqual([]);
  });
});

describe("matching papers that say it in other words", () => {
  it.each([
    ["mixture-of-experts", "Sparsely-Gated Expert Routing Scales Language Models Cheaply"],
    ["lora", "Low-Rank Adapters for Cheap Fine-Tuning of Large Models"],
    ["lora", "Revisiting Low-Rank Adaptation for Instruction Following"],
    ["retrieval-augmented-generation", "Grounding Answers in Retrieved Passages for Open Questions"],
    ["diffusion-model", "Improved Training of Score-Based Generative Models"],
    ["geometry-problem-solving", "Olympiad Geometry Problems Solved with Auxiliary Constructions"],
  ])("finds %s in “%s”", (concept, title) => {
    expect(conceptsIn(title)).toContain(concept);
  });

  it("treats British and American spelling, hyphens and word forms alike", () => {
    expect(conceptsIn("Behaviour Cloning from Demonstrations")).toEqual(conceptsIn("Behavior cloning from demonstrations"));
    expect(conceptsIn("Pretraining data mixtures")).toEqual(conceptsIn("Pre-training Data Mixture"));
  });

  it("matches acronyms only as written, and one-word aliases without stemming them into other words", () => {
    expect(conceptsIn("LoRA for vision transformers")).toContain("lora");
    expect(conceptsIn("LoRa gateways for rural sensor networks")).not.toContain("lora");
    expect(conceptsIn("LoRa gateways for rural sensor networks")).toContain("lora-wireless");
    expect(conceptsIn("A conservative estimate of policy value")).not.toContain("art-conservation");
    expect(conceptsIn("Animal behaviour in changing climates")).not.toContain("operant-conditioning");
  });

  it("tells other fields' meanings apart", () => {
    expect(conceptsIn("Dynamic Control of a Distillation Column", "We tune the reflux ratio and reboiler duty of a tray column in a refinery.")).toContain("distillation-column");
    expect(conceptsIn("Transformer Fault Diagnosis from Dissolved Gas Analysis in Substations")).not.toContain("transformer");
  });
});

describe("keywords a reader types", () => {
  it.each([
    ["mixture of experts", ["mixture-of-experts"]],
    ["MoE", ["mixture-of-experts"]],
    ["LoRA", ["lora"]],
    ["low-rank adaptation", ["lora"]],
    ["RAG", ["retrieval-augmented-generation"]],
    ["protein folding", ["protein-structure-prediction"]],
    ["reinforcement learning for math reasoning", ["reinforcement-learning", "mathematical-reasoning"]],
  ])("“%s” is understood as %j", (keyword, ids) => {
    expect(understandKeyword(keyword).groups.map((g) => g[0]!.id)).toEqual(ids);
  });

  it("falls back to the words typed when they name no concept", () => {
    expect(understandKeyword("origami folding patterns").groups).toEqual([]);
    expect(understandKeyword("heat diffusion").groups).toEqual([]); // another field's concept is not a reader interest
  });
});
