// Pure: text -> word tokens for matching research vocabulary. Each token keeps the word as written (for
// case-sensitive acronyms and for quoting what matched) and a folded form: lower case, accents removed, British
// spelling folded to American, Porter-stemmed. Hyphens, slashes and other punctuation separate words.
import { stemmer } from "stemmer";

export interface Token {
  /** The word as written in the text: "LoRA". */
  raw: string;
  /** Folded and stemmed: "lora"; "modelling" -> "model"; "optimisation" -> "optim". */
  stem: string;
  /** Folded with inflections only taken off ("distilling", "distilled" -> "distill"; "behaviours" -> "behavior"), no
   * derivations ("conservative" stays apart from "conservation"). One-word vocabulary entries match on this, because
   * full stems of single words collide ("behaviorism" and "behaviour", "transformer" and "transform"). */
  word: string;
  /** Folded, only a plural taken off: "clusterings" -> "clustering". One-word entries that are themselves an -ing or
   * -ed form match on this ("clustering" must not match "cluster"). */
  plain: string;
  /** Character offsets in the text, for quoting the matched phrase. */
  start: number;
  end: number;
  /** Punctuation other than a hyphen, slash or apostrophe stands before it: no phrase runs across ("prompt? Learning"). */
  breakBefore: boolean;
}

// Letters or digits; an apostrophe inside a word is kept only to drop it with its ending ("model's" -> "model").
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let previousEnd = 0;
  for (const match of text.matchAll(WORD)) {
    const raw = match[0].replace(/['’][\p{L}]+$/u, "");
    if (!raw) continue;
    const folded = americanSpelling(fold(raw));
    const between = text.slice(previousEnd, match.index!);
    tokens.push({ raw, stem: stemmer(folded), word: uninflected(folded), plain: singular(folded), start: match.index!, end: match.index! + match[0].length, breakBefore: /[^\s\-‐‑–/'’]/u.test(between) });
    previousEnd = match.index! + match[0].length;
  }
  return tokens;
}

/** The folded, stemmed form of one word. */
export function foldWord(word: string): string {
  return stemmer(americanSpelling(fold(word)));
}

function fold(word: string): string {
  return word.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * Inflections off, consistently for text and vocabulary: plural -s/-es/-ies, then -ing or -ed (a doubled final
 * consonant undone), then a final silent e: "prune", "pruned", "pruning" -> "prun"; "models" -> "model".
 */
function singular(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith("ies") && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(?:ss|sh|ch|x|z)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s") && !/(?:ss|us|is|ys)$/.test(word)) return word.slice(0, -1);
  return word;
}

function uninflected(word: string): string {
  if (word.length <= 3) return word;
  let w = singular(word);
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ed") && !w.endsWith("eed")) w = w.slice(0, -2);
  if (/([bdfgkmnprt])\1$/.test(w)) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

// British -> American for words common in ML writing; -ise/-isation are folded by rule below. Folding a word that is
// not a spelling variant ("advise" -> "advize") is harmless: text and vocabulary are folded the same way.
const BRITISH: Record<string, string> = {
  behaviour: "behavior",
  behaviours: "behaviors",
  behavioural: "behavioral",
  modelling: "modeling",
  modelled: "modeled",
  labelling: "labeling",
  labelled: "labeled",
  travelling: "traveling",
  signalling: "signaling",
  tunnelling: "tunneling",
  colour: "color",
  colours: "colors",
  neighbour: "neighbor",
  neighbours: "neighbors",
  neighbourhood: "neighborhood",
  favour: "favor",
  centre: "center",
  centres: "centers",
  fibre: "fiber",
  litre: "liter",
  metre: "meter",
  analyse: "analyze",
  analysed: "analyzed",
  analysing: "analyzing",
  catalyse: "catalyze",
  paralyse: "paralyze",
  defence: "defense",
  offence: "offense",
  licence: "license",
  programme: "program",
  programmes: "programs",
  grey: "gray",
  aluminium: "aluminum",
  tumour: "tumor",
  tumours: "tumors",
  oesophagus: "esophagus",
  haemorrhage: "hemorrhage",
  anaemia: "anemia",
  paediatric: "pediatric",
  artefact: "artifact",
  artefacts: "artifacts",
  judgement: "judgment",
  judgements: "judgments",
  cheque: "check",
  ageing: "aging",
  whilst: "while",
};

function americanSpelling(word: string): string {
  const mapped = BRITISH[word];
  if (mapped) return mapped;
  if (word.length > 6 && /is(?:e|ed|es|ing|ation|ations|er|ers)$/.test(word)) {
    return word.replace(/is(e|ed|es|ing|ation|ations|er|ers)$/, "iz$1");
  }
  return word;
}
