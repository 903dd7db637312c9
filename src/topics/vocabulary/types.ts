// The shape of the concept thesaurus: research vocabulary as data, written from knowledge of the field.
// How an entry is matched against a paper (see ../match.ts):
// - aliases: case-insensitive word sequences. Punctuation and hyphens split words, words are stemmed (so plurals and
//   -ing/-ed forms need not be listed), British spellings (-ise, -isation, behaviour, modelling, …) are folded to
//   American. A hyphenated alias also matches its closed-up form: "pre-training" matches "pretraining".
// - acronyms: matched only exactly as written (case-sensitive), as whole words, with an optional plural "s".

export interface Concept {
  /** Stable kebab-case id, e.g. "mixture-of-experts". Never reuse an id for another meaning. */
  id: string;
  /** The preferred name readers see, e.g. "Mixture of Experts". */
  name: string;
  /** Synonyms, spelling variants and the specific phrasings papers use for this concept. */
  aliases: string[];
  /** Case-sensitive short forms: "MoE", "LoRA", "RAG". */
  acronyms?: string[];
  /** Ids of more specific concepts (a paper about a narrower concept is about this one too). */
  narrower?: string[];
  /** Ids of related but distinct concepts (never synonyms). */
  related?: string[];
  /**
   * "other" marks vocabulary of another field that shares our words (distillation columns, heat diffusion, power
   * transformers, attention in psychology). Topics exclude papers that are about such concepts.
   */
  field?: "ml" | "other";
}
