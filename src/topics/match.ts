// Pure: which thesaurus concepts a paper mentions, where, and how it said them. A paper is split into zones —
// title, lead (the first sentences of the abstract) and body (the rest) — because a word in the title says far more
// about what a paper is about than the same word in the abstract's last sentence.
import { type Token, tokenize } from "./tokenize.ts";
import type { Concept } from "./vocabulary/types.ts";

export type Zone = "title" | "lead" | "body";

export interface ConceptHit {
  conceptId: string;
  title: number;
  lead: number;
  body: number;
  /** The words as the paper wrote them, from its most telling zone: quoted in reasons. */
  surface: string;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  /** Concepts whose phrase ends here. */
  ends: string[];
}

export interface ConceptMatcher {
  /** Folded phrase trie (aliases and names) and case-sensitive acronym trie. */
  words: TrieNode;
  acronyms: TrieNode;
}

/** Sentences of the abstract counted as its lead. */
export const LEAD_SENTENCES = 2;

export function compileMatcher(concepts: readonly Concept[]): ConceptMatcher {
  const words = newNode();
  const acronyms = newNode();
  for (const concept of concepts) {
    for (const phrase of [concept.name, ...concept.aliases]) {
      for (const variant of phraseVariants(phrase)) {
        const tokens = tokenize(variant.text);
        // One plain word is matched unstemmed (see Token.word and Token.plain); a phrase, or a closed-up compound, by stems.
        addPhrase(words, tokens.length === 1 && !variant.closedUp ? [singleWordKey(tokens[0]!)] : tokens.map((t) => t.stem), concept.id);
      }
    }
    for (const acronym of concept.acronyms ?? []) {
      const raws = tokenize(acronym).map((t) => t.raw);
      addPhrase(acronyms, raws, concept.id);
      if (raws.length) addPhrase(acronyms, [...raws.slice(0, -1), `${raws.at(-1)}s`], concept.id); // LLMs
    }
  }
  return { words, acronyms };
}

/** A hyphenated phrase also stands for its closed-up form: "pre-training" matches "pretraining". */
function phraseVariants(phrase: string): { text: string; closedUp: boolean }[] {
  // A name such as "Distillation Columns (chemical engineering)" is matched without its bracketed gloss.
  const bare = phrase.replace(/\s*\([^)]*\)\s*/g, " ").trim();
  if (!bare) return [];
  return bare.includes("-") ? [{ text: bare, closedUp: false }, { text: bare.replace(/-/g, ""), closedUp: true }] : [{ text: bare, closedUp: false }];
}

function newNode(): TrieNode {
  return { next: new Map(), ends: [] };
}

function addPhrase(root: TrieNode, keys: string[], conceptId: string) {
  if (keys.length === 0) return;
  let node = root;
  for (const key of keys) {
    let child = node.next.get(key);
    if (!child) node.next.set(key, (child = newNode()));
    node = child;
  }
  if (!node.ends.includes(conceptId)) node.ends.push(conceptId);
}

export interface ZonedTokens {
  title: Token[];
  lead: Token[];
  body: Token[];
  /** The text each zone's token offsets refer to. */
  text: Record<Zone, string>;
}

const sentences = new Intl.Segmenter("en", { granularity: "sentence" });

export function zonePaper(paper: { title: string; abstract: string }): ZonedTokens {
  const parts = [...sentences.segment(paper.abstract)].map((s) => s.segment);
  const lead = parts.slice(0, LEAD_SENTENCES).join("");
  const body = parts.slice(LEAD_SENTENCES).join("");
  return { title: tokenize(paper.title), lead: tokenize(lead), body: tokenize(body), text: { title: paper.title, lead, body } };
}

/** Every concept the text mentions, as leftmost-longest phrase matches (inside "dataset distillation", the word
 * "distillation" does not count again on its own). */
export function findMentions(matcher: ConceptMatcher, tokens: Token[]): { conceptIds: string[]; start: number; end: number; from: number; to: number }[] {
  const found: { conceptIds: string[]; start: number; end: number; from: number; to: number }[] = [];
  for (let i = 0; i < tokens.length; ) {
    const byWords = longest(matcher.words, tokens, i, (t) => t.stem) ?? single(matcher.words, tokens[i]!);
    const byAcronym = longest(matcher.acronyms, tokens, i, (t) => t.raw);
    const best = byAcronym && (!byWords || byAcronym.length >= byWords.length) ? byAcronym : byWords;
    if (!best) {
      i += 1;
      continue;
    }
    found.push({ conceptIds: best.ends, start: i, end: i + best.length, from: tokens[i]!.start, to: tokens[i + best.length - 1]!.end });
    i += best.length;
  }
  return found;
}

/** A one-word entry that is an -ing or -ed form matches only that form; any other word, all its inflections. */
function singleWordKey(token: Token): string {
  return /(?:ing|ed)$/.test(token.plain) && token.plain.length > 5 ? `~${token.plain}` : `=${token.word}`;
}

function single(root: TrieNode, token: Token) {
  const node = root.next.get(`=${token.word}`) ?? root.next.get(`~${token.plain}`);
  return node?.ends.length ? { length: 1, ends: node.ends } : undefined;
}

function longest(root: TrieNode, tokens: Token[], from: number, key: (t: Token) => string) {
  let node = root;
  let best: { length: number; ends: string[] } | undefined;
  for (let j = from; j < tokens.length; j++) {
    if (j > from && tokens[j]!.breakBefore) break;
    const child = node.next.get(key(tokens[j]!));
    if (!child) break;
    node = child;
    if (node.ends.length) best = { length: j - from + 1, ends: node.ends };
  }
  return best;
}

/** Concept hits of a paper per zone, with the phrase it used. */
export function matchPaper(matcher: ConceptMatcher, zones: ZonedTokens): ConceptHit[] {
  const hits = new Map<string, ConceptHit>();
  for (const zone of ["title", "lead", "body"] as const) {
    for (const mention of findMentions(matcher, zones[zone])) {
      const surface = zones.text[zone].slice(mention.from, mention.to);
      for (const conceptId of mention.conceptIds) {
        let hit = hits.get(conceptId);
        if (!hit) hits.set(conceptId, (hit = { conceptId, title: 0, lead: 0, body: 0, surface }));
        hit[zone] += 1;
      }
    }
  }
  return [...hits.values()];
}

/**
 * How often a zone says a keyword that names no concept: its words in a row (folded and stemmed), or else — once —
 * all of them somewhere in the zone ("folding of proteins" for "protein folding").
 */
export function matchPhrase(tokens: Token[], words: Token[]): number {
  if (words.length === 0) return 0;
  let count = 0;
  for (let i = 0; i + words.length <= tokens.length; i++) {
    if (words.every((w, j) => tokens[i + j]!.stem === w.stem)) {
      count += 1;
      i += words.length - 1;
    }
  }
  if (count > 0 || words.length === 1) return count;
  const present = new Set(tokens.map((t) => t.stem));
  return words.every((w) => present.has(w.stem)) ? 1 : 0;
}
