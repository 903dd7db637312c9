// Development aid: for one evaluation set, the relevant papers each topic or interest missed and the wrong ones it
// took, with the concepts the matcher found in each paper. Never on the fifth held-out set (the honest one).
import { parseArgs } from "node:util";
import { matchPaper, zonePaper } from "../src/topics/match.ts";
import { TOPICS, topicWeights } from "../src/topics/catalog.ts";
import { understandKeyword } from "../src/topics/keywords.ts";
import { fieldEvidence } from "../src/topics/paper-index.ts";
import { RANKING } from "../src/topics/ranking.ts";
import { projectVocabulary } from "../src/topics/vocabulary/index.ts";
import { loadSharedSet, loadWrittenSet } from "../test/support/matching-eval.ts";

const { values } = parseArgs({ options: { set: { type: "string", default: "dev-papers.json" }, only: { type: "string" } } });
if (values.set!.includes("heldout5")) throw new Error("the fifth held-out set is not for diagnosis: it is the honest measurement");
const set = values.set === "shared" ? loadSharedSet() : loadWrittenSet(values.set!);
const vocabulary = projectVocabulary();
const hitsOf = (p: { title: string; abstract: string }) => matchPaper(vocabulary.matcher, zonePaper(p));
const e = RANKING.evidence;
const evidence = (h: { title: number; lead: number; body: number }) => Math.min(h.title, e.titleCap) * e.title + Math.min(h.lead, e.leadCap) * e.lead + Math.min(h.body, e.bodyCap) * e.body;
const why: Record<string, number> = {};
for (const topic of TOPICS) {
  if (values.only && values.only !== topic.slug) continue;
  const weights = topicWeights(vocabulary, topic);
  console.log(`\n=== ${topic.slug}`);
  for (const p of set.papers) {
    const relevant = p.topics.includes(topic.slug);
    const hits = hitsOf(p);
    const field = fieldEvidence(vocabulary, hits);
    const topical = hits.filter((h) => weights.has(h.conceptId));
    const strong = topical.filter((h) => weights.get(h.conceptId)! >= RANKING.supportingWeight);
    const relevance = topical.reduce((s, h) => s + weights.get(h.conceptId)! * evidence(h), 0);
    const gate = strong.some((h) => h.title > 0) || (strong.some((h) => h.lead + h.body > 0) && topical.reduce((s, h) => s + h.lead + h.body, 0) >= RANKING.minAbstractHits);
    const ml = field.mlConcepts >= RANKING.minMlConcepts && field.other <= field.ml * RANKING.otherFieldShare;
    const excluded = (topic.exclude ?? []).some((x) => hits.some((h) => h.conceptId === x));
    const matched = gate && relevance >= RANKING.minRelevance && ml && !excluded;
    if (relevant === matched) continue;
    const reason = !relevant ? "wrong" : topical.length === 0 ? "no topic concept" : !gate ? "one abstract hit" : relevance < RANKING.minRelevance ? "weak" : !ml ? "not ML" : "excluded";
    why[reason] = (why[reason] ?? 0) + 1;
    console.log(`${relevant ? "MISSED" : "WRONG "} (${reason}) ${p.title}`);
    console.log(`   topical: ${topical.map((h) => `${h.conceptId}×${weights.get(h.conceptId)!.toFixed(2)}[${h.title}/${h.lead}/${h.body}]`).join(" ") || "-"}`);
    console.log(`   other:   ${hits.filter((h) => !weights.has(h.conceptId)).map((h) => `${h.conceptId}[${h.title}/${h.lead}/${h.body}]`).join(" ") || "-"}`);
  }
}
console.log(`\n${JSON.stringify(why)}`);
for (const interest of set.interests) {
  if (values.only && values.only !== interest.id) continue;
  const u = understandKeyword(interest.keyword);
  console.log(`\n=== interest ${interest.keyword} → ${u.groups.map((g) => g.map((c) => c.id).join("|")).join(" AND ") || "(text)"}`);
  for (const p of set.papers.filter((p) => p.interests.includes(interest.id))) {
    console.log(`  ${p.title}\n     ${hitsOf(p).map((h) => `${h.conceptId}[${h.title}/${h.lead}/${h.body}]`).join(" ")}`);
  }
}
