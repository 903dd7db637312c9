// Pure: how a paper reported by one source is merged into the row other sources built. One paper, many sources:
// a later source fills the gaps and never blanks a field; title and abstract come from the most trusted source.

/** A paper as one source reports it. Fields the source does not know stay undefined and never blank a stored value. */
export interface IncomingPaper {
  /** Normalised, without version (corpus/arxiv.ts). */
  arxivId?: string;
  title: string;
  displayTitle: string;
  abstract: string;
  authors?: string[];
  publishedAt?: Date;
  /** Links found in the text (code, project pages), in order. */
  links?: string[];
  codeUrl?: string;
  projectUrl?: string;
  hfUrl?: string;
  /** When the source first listed it (Hugging Face: put on the daily list), if earlier than our first sighting. */
  listedAt?: Date;
  /** 1-based position in the source's list. */
  rank: number;
  upvotes?: number;
  comments?: number;
}

/**
 * Whose title and abstract win: arXiv is the paper's own record, Hugging Face copies it (sometimes edited), a saved
 * page is a copy of a copy. A source replaces text only from the same or a lower level, so sources never flip-flop.
 */
export const METADATA_PRECEDENCE: Record<string, number> = { folder: 0, huggingface: 1, arxiv: 2 };

/** The stored fields the merge reads. */
export interface StoredPaper {
  arxivId: string | null;
  titleKey: string;
  title: string;
  displayTitle: string;
  abstract: string;
  authors: string[];
  publishedAt: Date | null;
  links: string[];
  codeUrl: string | null;
  projectUrl: string | null;
  hfUrl: string | null;
  upvotes: number | null;
  comments: number | null;
  seenBy: string[];
  metadataSource: string;
}

export type PaperPatch = Partial<StoredPaper>;

/**
 * What to write to `stored` for `incoming` from `source`. `changed` says whether the paper's content changed
 * (counted as "updated"); new counts and sightings alone are not content.
 */
export function mergePaper(stored: StoredPaper, incoming: IncomingPaper, source: string, titleKey: string): { patch: PaperPatch; changed: boolean } {
  const patch: PaperPatch = {};
  const trusted = (METADATA_PRECEDENCE[source] ?? 0) >= (METADATA_PRECEDENCE[stored.metadataSource] ?? 0);
  // A value from the source: fills an empty field always, replaces a present one only from a trusted source.
  const take = <K extends keyof StoredPaper>(key: K, value: StoredPaper[K] | undefined, same: (a: StoredPaper[K], b: StoredPaper[K]) => boolean = Object.is) => {
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) return;
    const current = stored[key];
    const empty = current === null || current === "" || (Array.isArray(current) && current.length === 0);
    if ((empty || trusted) && !same(current, value)) patch[key] = value;
  };

  if (trusted) {
    take("title", incoming.title);
    take("displayTitle", incoming.displayTitle);
    take("abstract", incoming.abstract);
    if (patch.displayTitle && stored.arxivId) patch.titleKey = titleKey; // a renamed arXiv paper keeps its id
    if (source !== stored.metadataSource) patch.metadataSource = source;
  }
  if (!stored.arxivId && incoming.arxivId) patch.arxivId = incoming.arxivId; // an id, once known, never changes
  take("authors", incoming.authors, sameList);
  take("publishedAt", incoming.publishedAt, (a, b) => a?.getTime() === b?.getTime());
  take("codeUrl", incoming.codeUrl);
  take("projectUrl", incoming.projectUrl);
  take("hfUrl", incoming.hfUrl);
  const links = union(stored.links, incoming.links ?? []);
  if (links.length !== stored.links.length) patch.links = links;

  const changed = Object.keys(patch).some((k) => k !== "metadataSource");
  if (incoming.upvotes !== undefined && incoming.upvotes !== stored.upvotes) patch.upvotes = incoming.upvotes;
  if (incoming.comments !== undefined && incoming.comments !== stored.comments) patch.comments = incoming.comments;
  if (!stored.seenBy.includes(source)) patch.seenBy = [...stored.seenBy, source];
  return { patch, changed };
}

function sameList(a: string[] | null, b: string[] | null) {
  return (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b![i]);
}

function union(a: string[], b: string[]) {
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}
