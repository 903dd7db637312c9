// Characters that must never reach an email or a page from outside text (a reader's input, a corpus page, a live
// source): C0 and C1 control characters (line breaks that forge headers, NEL, terminal escapes) and the bidirectional
// formatting characters that make text display in another order than it reads (the "Trojan Source" trick: a keyword
// with U+202E shows reversed in a subject line). Input forms reject them; ingested text has them removed.

/** C0 controls, DEL, C1 controls (incl. U+0085 NEL), LRM/RLM, the embeddings/overrides and the isolates. */
export const UNSAFE_TEXT_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_GLOBAL = new RegExp(UNSAFE_TEXT_CHARS.source, "g");
const DIRECTION_MARKS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function hasUnsafeChars(text: string): boolean {
  return UNSAFE_TEXT_CHARS.test(text);
}

/** Direction marks removed, control characters (tabs, NEL, line and paragraph separators too) turned into spaces. */
export function stripUnsafeChars(text: string): string {
  return text.replace(DIRECTION_MARKS, "").replace(UNSAFE_GLOBAL, " ").replace(/[\u2028\u2029]/g, " ");
}
