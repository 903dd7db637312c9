// The concept thesaurus assembled from its files, checked, and compiled into a matcher once per process.
import { createHash } from "node:crypto";
import { compileMatcher, type ConceptMatcher } from "../match.ts";
import { tokenize } from "../tokenize.ts";
import { LANGUAGE_CONCEPTS } from "./concepts-language.ts";
import { GENERAL_CONCEPTS } from "./concepts-general.ts";
import { LEARNING_CONCEPTS } from "./concepts-learning.ts";
import { PAPER_TYPE_CONCEPTS } from "./concepts-paper-types.ts";
import { VISION_SCIENCE_CONCEPTS } from "./concepts-vision-science.ts";
import type { Concept } from "./types.ts";

export type { Concept } from "./types.ts";

export const CONCEPTS: readonly Concept[] = [...GENERAL_CONCEPTS, ...LANGUAGE_CONCEPTS, ...LEARNING_CONCEPTS, ...VISION_SCIENCE_CONCEPTS, ...PAPER_TYPE_CONCEPTS];

export interface Vocabulary {
  concepts: ReadonlyMap<string, Concept>;
  matcher: ConceptMatcher;
  /** Changes whenever any entry changes: the paper index is rebuilt then. */
  version: string;
  /** The ids and every narrower concept below them. */
  withNarrower(ids: Iterable<string>): string[];
  /** Weights for ids plus their narrower concepts (each level down × narrowerShare; an explicit weight wins). */
  weighWithNarrower(weights: Record<string, number>, narrowerShare?: number): Map<string, number>;
  /** ML concepts whose preferred name contains these words in a row ("quantization" -> Model Quantization, …). */
  conceptsNamed(words: string): Concept[];
  /** Concepts related to this one, whichever of the two entries states the relation. */
  relatedTo(id: string): string[];
}

/** Problems that make the thesaurus unusable: duplicate ids, references to ids that do not exist. */
export function checkVocabulary(concepts: readonly Concept[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const c of concepts) {
    if (ids.has(c.id)) problems.push(`duplicate concept id "${c.id}"`);
    ids.add(c.id);
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(c.id)) problems.push(`concept id "${c.id}" is not kebab-case`);
  }
  for (const c of concepts) {
    for (const ref of [...(c.narrower ?? []), ...(c.related ?? [])]) {
      if (!ids.has(ref)) problems.push(`"${c.id}" refers to unknown concept "${ref}"`);
      if (ref === c.id) problems.push(`"${c.id}" refers to itself`);
    }
  }
  return problems;
}

export function buildVocabulary(concepts: readonly Concept[]): Vocabulary {
  const problems = checkVocabulary(concepts);
  if (problems.length) throw new Error(`concept thesaurus: ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ""}`);
  const byId = new Map(concepts.map((c) => [c.id, c]));
  const withNarrower = (ids: Iterable<string>) => {
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id) || !byId.has(id)) return;
      seen.add(id);
      for (const n of byId.get(id)!.narrower ?? []) visit(n);
    };
    for (const id of ids) visit(id);
    return [...seen];
  };
  const weighWithNarrower = (weights: Record<string, number>, narrowerShare = 0.9) => {
    const result = new Map<string, number>();
    const visit = (id: string, weight: number) => {
      if ((result.get(id) ?? -1) >= weight) return;
      result.set(id, weight);
      for (const n of byId.get(id)?.narrower ?? []) if (!(n in weights)) visit(n, weight * narrowerShare);
    };
    for (const [id, weight] of Object.entries(weights)) {
      if (!byId.has(id)) throw new Error(`unknown concept "${id}"`);
      visit(id, weight);
    }
    return result;
  };
  // A name's first part is what the concept is ("Visual Tokenizers & Vector Quantization" is about tokenizers).
  const headOf = (name: string) => name.replace(/\([^)]*\)/g, " ").split(/\s*(?:&|,|\/|\band\b)\s*/)[0]!;
  const names = concepts.filter((c) => c.field !== "other").map((c) => ({ concept: c, stems: tokenize(headOf(c.name)).map((t) => t.stem) }));
  const conceptsNamed = (words: string) => {
    const wanted = tokenize(words).map((t) => t.stem);
    if (wanted.length === 0) return [];
    return names
      .filter(({ stems }) => stems.some((_, i) => wanted.every((w, j) => stems[i + j] === w)))
      .sort((a, b) => a.stems.length - b.stems.length)
      .map((n) => n.concept);
  };
  const related = new Map<string, Set<string>>();
  for (const c of concepts) {
    for (const r of c.related ?? []) {
      (related.get(c.id) ?? related.set(c.id, new Set()).get(c.id)!).add(r);
      (related.get(r) ?? related.set(r, new Set()).get(r)!).add(c.id);
    }
  }
  return {
    concepts: byId,
    matcher: compileMatcher(concepts),
    conceptsNamed,
    relatedTo: (id) => [...(related.get(id) ?? [])],
    version: createHash("sha256").update(JSON.stringify(concepts)).digest("hex").slice(0, 16),
    withNarrower,
    weighWithNarrower,
  };
}

let built: Vocabulary | undefined;
/** The project's thesaurus, compiled on first use (about 100 ms) and kept for the life of the process. */
export function projectVocabulary(): Vocabulary {
  built ??= buildVocabulary(CONCEPTS);
  return built;
}
