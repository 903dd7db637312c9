// Pure: arXiv identifiers and the links derived from them. An id is a paper's identity across sources, so every
// spelling (versions, URLs, "arXiv:" prefixes, old-style subject classes) must come out the same.

// 2501.01234 (since 2015: five digits after the dot; 2007-2014: four), optional version.
const NEW_STYLE = /^(\d{4}\.\d{4,5})(?:v\d+)?$/;
// hep-th/9901001, math.GT/0309136 (the subject class is not part of the identifier), optional version.
const OLD_STYLE = /^([a-z-]+)(?:\.[a-z-]{2})?\/(\d{7})(?:v\d+)?$/i;
const URL_PREFIX = /^(?:https?:\/\/)?(?:www\.|export\.)?arxiv\.org\/(?:abs|pdf|html)\//i;

/** The arXiv id without version ("2501.01234", "hep-th/9901001"), or undefined if `raw` is not one. */
export function normalizeArxivId(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const id = raw
    .trim()
    .replace(URL_PREFIX, "")
    .replace(/^arxiv:/i, "")
    .replace(/\.pdf$/i, "")
    .replace(/[?#].*$/, "")
    .replace(/\/$/, "");
  const modern = NEW_STYLE.exec(id);
  if (modern) return modern[1];
  const old = OLD_STYLE.exec(id);
  if (old) return `${old[1]!.toLowerCase()}/${old[2]}`;
  return undefined;
}

export function arxivAbsUrl(id: string): string {
  return `https://arxiv.org/abs/${id}`;
}

export function arxivPdfUrl(id: string): string {
  return `https://arxiv.org/pdf/${id}`;
}
