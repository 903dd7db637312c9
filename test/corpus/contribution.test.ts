import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { contributionSentence } from "../../src/corpus/contribution.ts";
import { parseCorpus } from "../../src/corpus/parse.ts";
import { sentencesOf } from "../../src/corpus/text.ts";
import { SHARED_CORPUS_FILE, sharedCorpusPresent } from "../support/corpus.ts";

describe("the contribution sentence", () => {
  it.each([
    [
      "Diffusion models produce strong samples but need hundreds of denoising steps. Distillation methods shorten this, yet lose diversity. To address this, we propose StepMerge, a schedule that merges adjacent steps without retraining. On ImageNet it halves sampling time at equal FID.",
      "To address this, we propose StepMerge, a schedule that merges adjacent steps without retraining.",
    ],
    [
      "Large language models have shown remarkable reasoning abilities. However, their reasoning traces are long. We introduce TraceCut, a pruning method for chain-of-thought. Experiments show 40% shorter traces.",
      "We introduce TraceCut, a pruning method for chain-of-thought.",
    ],
    [
      "Reward models are central to alignment. Little is known about how they fail under distribution shift. In this paper, we study reward model failures on three shifted benchmarks and find that calibration degrades first.",
      "In this paper, we study reward model failures on three shifted benchmarks and find that calibration degrades first.",
    ],
    [
      "Continual learning suffers from catastrophic forgetting. This paper presents a replay buffer that stores gradients instead of samples. It matches full replay at a tenth of the memory.",
      "This paper presents a replay buffer that stores gradients instead of samples.",
    ],
    [
      "Agents that use tools often call them needlessly. We show that a simple cost penalty during RL fine-tuning removes most needless calls. The penalty is cheap to add.",
      "We show that a simple cost penalty during RL fine-tuning removes most needless calls.",
    ],
    [
      "Mixture-of-experts models route tokens to a few experts. A router that balances load without auxiliary losses is introduced. It trains stably at scale.",
      "A router that balances load without auxiliary losses is introduced.",
    ],
  ])("picks the sentence that says what the paper does, not its background (%#)", (abstract, expected) => {
    expect(contributionSentence(abstract)).toBe(expected);
  });

  it("prefers the sentence that makes something over one that only reports a finding", () => {
    const abstract = "Quantization cuts memory. We observe that outliers dominate the error. We therefore propose OutlierShift, which moves outliers into a side channel.";
    expect(contributionSentence(abstract)).toBe("We therefore propose OutlierShift, which moves outliers into a side channel.");
  });

  it("finds none in pure background, ignores questions, and does not take the 'we' of a relative clause", () => {
    expect(contributionSentence("Transformers are widely used. They scale well with data. Many variants exist.")).toBeUndefined();
    expect(contributionSentence("Can we propose better benchmarks for agents? Benchmarks age quickly.")).toBeUndefined();
    expect(contributionSentence("The goal of continual learning is to solve tasks which are presented sequentially. Forgetting is the main obstacle.")).toBeUndefined();
  });

  it("shortens a very long sentence on a word boundary", () => {
    const long = `We propose ${"a very long method name ".repeat(30)}that works.`;
    const sentence = contributionSentence(`Background here. ${long}`)!;
    expect(sentence.length).toBeLessThanOrEqual(320);
    expect(sentence.endsWith("…")).toBe(true);
    expect(sentence).toMatch(/^We propose a very long/);
  });
});

describe.skipIf(!sharedCorpusPresent)("the contribution sentence on the shared corpus", () => {
  it("is found for at least 95% of the abstracts, and is rarely the opening sentence", () => {
    const { papers } = parseCorpus(fs.readFileSync(SHARED_CORPUS_FILE), "shared");
    const picked = papers.map((p) => ({ first: sentencesOf(p.abstract)[0]!, sentence: contributionSentence(p.abstract) }));
    const found = picked.filter((p) => p.sentence);
    expect(found.length / papers.length).toBeGreaterThanOrEqual(0.95);
    // Most abstracts open with background; the chosen sentence is the opening one only when that one says "we …".
    for (const p of found.filter((f) => f.first.startsWith(f.sentence!.replace(/…$/, "")))) {
      expect(p.first).toMatch(/\b(we|this paper|this work|this report|in this|is introduced|an? [a-z-]+ .* is (proposed|introduced))\b/i);
    }
    expect(found.filter((f) => f.first === f.sentence).length / found.length).toBeLessThan(0.2);
  });
});
