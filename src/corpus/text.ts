// Pure text helpers for papers: display titles, stable keys, links and lead sentences.
import { createHash } from "node:crypto";
import { stripUnsafeChars } from "../text-safety.ts";

// LaTeX text-style commands whose argument is the visible text: \texttt{X} -> X.
const WRAPPER_COMMANDS = /\\(?:texttt|textbf|textit|textsc|textsf|textrm|emph|mathrm|mathbf|mathit|mathtt|mathsf|mathcal|mathbb|text|operatorname|boldsymbol|bm|url)\s*\{([^{}]*)\}/g;
const ESCAPED_CHARS = /\\([&%$#_{}])/g;

/** Title as a reader should see it: LaTeX markup and control/direction characters removed, the rest (Ü, S^3c, dashes) kept. */
export function cleanTitle(raw: string): string {
  let title = stripUnsafeChars(raw).normalize("NFC");
  // Unwrap repeatedly so nested wrappers such as \textbf{\texttt{X}} resolve.
  for (let previous = ""; previous !== title; ) {
    previous = title;
    title = title.replace(WRAPPER_COMMANDS, "$1");
  }
  title = title
    .replace(/(?<!\\)\$([^$]*)(?<!\\)\$/g, "$1") // inline math delimiters
    .replace(ESCAPED_CHARS, "$1")
    .replace(/~/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return title;
}

/** Stable identity of a paper across files: its display title, case-, accent- and punctuation-insensitive. */
export function paperKey(title: string): string {
  const normalized = cleanTitle(title)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
  return createHash("sha256").update(normalized).digest("hex").slice(0, 32);
}

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'{}\\]+|\b(?:github\.com|gitlab\.com|huggingface\.co)\/[^\s<>"'{}\\]+/gi;

/** Code and project links mentioned in an abstract, cleaned of trailing punctuation, in order, without repeats. */
export function extractLinks(abstract: string): string[] {
  const links: string[] = [];
  for (const match of abstract.matchAll(URL_PATTERN)) {
    let url = match[0].replace(/[.,;:!?)\]]+$/, "");
    if (/^www\./i.test(url) || !/^https?:\/\//i.test(url)) url = `https://${url}`;
    url = url.replace(/^https?:\/\/www\.github\.com/i, "https://github.com").replace(/\.git$/, "");
    try {
      const parsed = new URL(url);
      if (!parsed.hostname.includes(".")) continue;
      url = parsed.toString().replace(/\/$/, "");
    } catch {
      continue;
    }
    if (!links.includes(url)) links.push(url);
  }
  return links;
}

const CODE_HOSTS = /^https:\/\/(github\.com|gitlab\.com|bitbucket\.org)\/[^/]+\/[^/]+/i;

/** The link a reader most likely wants as "code": a repository if there is one, else the first project page. */
export function pickCodeUrl(links: string[]): string | undefined {
  return links.find((l) => CODE_HOSTS.test(l)) ?? links[0];
}

const sentenceSegmenter = new Intl.Segmenter("en", { granularity: "sentence" });

/** The sentences of a text (ICU sentence rules), trimmed. */
export function sentencesOf(text: string): string[] {
  return [...sentenceSegmenter.segment(text)].map((s) => s.segment.trim()).filter(Boolean);
}

/** The first `count` sentences of an abstract (ICU sentence rules), cut at `maxLength` characters on a word boundary. */
export function leadSentences(abstract: string, count = 2, maxLength = 420): string {
  let lead = "";
  let taken = 0;
  for (const { segment } of sentenceSegmenter.segment(abstract)) {
    if (taken >= count || (taken > 0 && lead.length + segment.length > maxLength)) break;
    lead += segment;
    taken += 1;
  }
  lead = lead.trim();
  if (lead.length > maxLength) lead = `${lead.slice(0, maxLength - 1).replace(/\s+\S*$/, "")}…`;
  return lead;
}

/** Authors for a one-line byline: the first `max` names, then "et al." (names as the source gave them). */
export function shortAuthors(authors: readonly string[], max = 3): string {
  const names = authors.map((a) => a.replace(/\s+/g, " ").trim()).filter(Boolean);
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} et al.`;
}
