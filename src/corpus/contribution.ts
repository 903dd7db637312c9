// Pure: the one sentence of an abstract that says what the paper contributes ("We propose X, which …"), not the
// background it opens with ("Large language models have shown …"). Emails, feeds and the archive show it as the
// paper's one-line summary.
import { sentencesOf } from "./text.ts";

/** Who does something in the sentence: the authors or the paper itself. */
const ACTOR = String.raw`(?:\bwe\b|\bour (?:work|paper|study|method|approach|framework|model|system|analysis|results?)\b|\bthis (?:paper|work|study|article|report|note|survey|book|chapter|thesis|position paper|technical report)\b|\bhere\b)`;
/** What a contribution sentence does: makes something. */
const MAKE = String.raw`(?:propos|present|introduc|develop|design|build|construct|creat|releas|describ|formulat|formaliz|devis|offer|contribut|establish|unveil|curat|collect|assembl|train|put forward|open-sourc|provid|suggest|address|tackl|revis|rethink|extend)\w*`;
/** What a finding sentence does: tells something. */
const TELL = String.raw`(?:show|demonstrat|find|found|prov|observ|reveal|identif|stud|investigat|analy[sz]|examin|explor|evaluat|benchmark|argu|report|characteriz|quantif|survey|review|discover|establish|verif|derive|revisit|delv|compar|measur)\w*`;

/** Between the actor and the verb only small words ("we also propose", "this paper further introduces", "we aim to"). */
const GAP = String.raw`(?:,?\s+(?:\w+ly|also|further|first|then|thus|therefore|hence|now|here|can|will|have|has|additionally|finally|instead|next|again|jointly|newly|carefully|systematically|is dedicated to|aims? to|seeks? to|attempts? to|tries to|try to|sets? out to|set to)){0,2},?\s+`;
/** "A method … is introduced": the passive voice of the same, about something new ("A …", not "The tasks … are presented"). */
const MADE = /^(?:an?|here|this|in this (?:paper|work),? an?)\b.*\b(?:is|are) (?:here )?(?:proposed|introduced|presented|developed|described)\b/i;
const MAKES = new RegExp(`${ACTOR}${GAP}${MAKE}`, "i");
/** "To address this, we …", "In this paper, we …": the sentence turns from the problem to the paper's answer. */
const TURNS = /^(?:to (?:address|tackle|overcome|bridge|close|fill|remedy|mitigate|solve|resolve|fix|alleviate|this end|that end)\b|in this (?:paper|work|study|article)\b|here,? we\b|we (?:therefore|thus|hence)\b)/i;
const TELLS = new RegExp(`${ACTOR}${GAP}${TELL}`, "i");

const MAX_LENGTH = 320;

/**
 * The contribution sentence, or undefined when the abstract has none that says so (then show its first sentences).
 * Preference: a sentence in which the authors make something (propose, introduce, release…), especially one that
 * turns from the problem to the answer; else one in which they tell a finding (show, find…). The earliest such
 * sentence wins within its kind: the later ones are usually details and results.
 */
export function contributionSentence(abstract: string): string | undefined {
  const sentences = sentencesOf(abstract).filter((s) => s.length >= 20 && !s.endsWith("?"));
  let best: { sentence: string; score: number } | undefined;
  for (const [index, sentence] of sentences.entries()) {
    const score = scoreOf(sentence, index);
    if (score > 0 && (!best || score > best.score)) best = { sentence, score };
  }
  return best ? shorten(best.sentence) : undefined;
}

function scoreOf(sentence: string, index: number): number {
  // A sentence is worth more the earlier it comes; the kind of sentence matters far more than its place.
  const early = 1 - Math.min(index, 9) / 10;
  if (MAKES.test(sentence)) return (TURNS.test(sentence) ? 30 : 20) + early;
  if (MADE.test(sentence)) return 18 + early;
  if (TURNS.test(sentence) && /\bwe\b/i.test(sentence)) return 15 + early;
  if (TELLS.test(sentence)) return 10 + early;
  return 0;
}

function shorten(sentence: string): string {
  const text = sentence.replace(/\s+/g, " ").trim();
  if (text.length <= MAX_LENGTH) return text;
  return `${text.slice(0, MAX_LENGTH - 1).replace(/[\s,;:]+\S*$/, "")}…`;
}
