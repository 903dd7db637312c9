// Pure: the text of a saved trending-papers page -> papers + warnings. No I/O here.
import { stripUnsafeChars } from "../text-safety.ts";
import { cleanTitle, extractLinks, paperKey, pickCodeUrl } from "./text.ts";

export interface ParsedPaper {
  key: string;
  title: string;
  displayTitle: string;
  abstract: string;
  links: string[];
  codeUrl?: string;
  /** 1-based position on the page. */
  rank: number;
  /** Line of the title in the file, for messages. */
  line: number;
}

export interface CorpusWarning {
  file: string;
  line: number;
  message: string;
}

export interface ParsedCorpus {
  papers: ParsedPaper[];
  warnings: CorpusWarning[];
}

// Page boilerplate: the header lines above the list, and the button text glued to the first title.
const HEADER_LINE = /^get trending papers in your email inbox/i;
const SUBSCRIBE_PREFIX = /^Subscribe(?=\S)/;
// Titles on the page stay well under this; abstracts are paragraphs. Used only to tell the two apart when the
// title/abstract alternation is broken.
const MAX_TITLE_LENGTH = 300;

export function parseCorpus(content: string | Uint8Array, file: string): ParsedCorpus {
  const warnings: CorpusWarning[] = [];
  const warn = (line: number, message: string) => warnings.push({ file, line, message });

  const text = decode(content);
  if (text === undefined) {
    warn(1, "binary file (not UTF-8 text), skipped");
    return { papers: [], warnings };
  }
  if (text.trim() === "") {
    warn(1, "empty file, no papers");
    return { papers: [], warnings };
  }

  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop(); // the final newline

  const papers: ParsedPaper[] = [];
  const firstLineOfKey = new Map<string, number>();
  let pendingTitle: { text: string; line: number } | undefined;
  let seenContent = false;
  let afterHeader = false;

  const addPaper = (title: { text: string; line: number }, abstract: string) => {
    const displayTitle = cleanTitle(title.text);
    const key = paperKey(displayTitle);
    const earlier = firstLineOfKey.get(key);
    if (earlier !== undefined) {
      warn(title.line, `duplicate of the paper at line ${earlier} ("${displayTitle}"), skipped`);
      return;
    }
    firstLineOfKey.set(key, title.line);
    const links = extractLinks(abstract);
    papers.push({
      key,
      title: title.text,
      displayTitle,
      abstract,
      links,
      codeUrl: pickCodeUrl(links),
      rank: papers.length + 1,
      line: title.line,
    });
  };

  lines.forEach((rawLine, index) => {
    const lineNumber = index + 1;
    // Control and text-direction characters would reach emails and pages (a reversed title, a forged line break).
    const safeLine = stripUnsafeChars(rawLine);
    if (safeLine !== rawLine && safeLine.trim() !== "") warn(lineNumber, "removed control or text-direction characters");
    let line = safeLine.replace(/\s+/g, " ").trim();
    if (line === "") {
      warn(lineNumber, "blank line, ignored");
      return;
    }
    if (HEADER_LINE.test(line) || line === "Subscribe") {
      if (seenContent) warn(lineNumber, "page header in the middle of the file, ignored");
      afterHeader = true;
      return;
    }
    if (afterHeader) line = line.replace(SUBSCRIBE_PREFIX, "");
    afterHeader = false;
    seenContent = true;

    const looksLikeAbstract = isAbstractLike(line);
    if (!pendingTitle) {
      if (looksLikeAbstract) warn(lineNumber, "abstract with no title before it, skipped");
      else pendingTitle = { text: line, line: lineNumber };
      return;
    }
    if (looksLikeAbstract) {
      addPaper(pendingTitle, line);
      pendingTitle = undefined;
      return;
    }
    // Two title-like lines in a row: the first has no abstract.
    warn(pendingTitle.line, `title with no abstract ("${pendingTitle.text}"), skipped`);
    pendingTitle = { text: line, line: lineNumber };
  });

  if (pendingTitle) warn(pendingTitle.line, `title with no abstract ("${pendingTitle.text}"), skipped`);
  return { papers, warnings };
}

function isAbstractLike(line: string): boolean {
  if (line.length > MAX_TITLE_LENGTH) return true;
  if (line.length > 160 && /[.!?]\s+\S/.test(line)) return true;
  // Titles almost never end in a full stop; a full sentence that does is a (short) abstract.
  return line.endsWith(".") && line.split(" ").length > 8;
}

/** UTF-8 text, or undefined for content that is not text (NUL bytes or invalid UTF-8). */
function decode(content: string | Uint8Array): string | undefined {
  if (typeof content === "string") return content.includes("\0") ? undefined : content;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(content);
    return text.includes("\0") ? undefined : text;
  } catch {
    return undefined;
  }
}
