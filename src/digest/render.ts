// Pure: a planned digest's data -> subject, HTML and text. The MJML was compiled once at start (mail/templates.ts);
// here each recipient costs one Handlebars fill, which escapes everything a paper or a reader typed.
import { arxivAbsUrl, arxivPdfUrl } from "../corpus/arxiv.ts";
import { shortAuthors } from "../corpus/text.ts";
import { formatDay, formatShortDay } from "../dates.ts";
import type { EmailTemplates, RenderedEmail } from "../mail/templates.ts";
import { TOPICS } from "../topics/catalog.ts";
import { describeReasons } from "../topics/reasons.ts";
import { digestHeading, groupPapers, type Interests, paperSentence } from "./layout.ts";

export interface DigestContent {
  localDate: Date;
  email: string;
  confirmedAt: Date | null;
  /** What the reader follows (heading and groups); without it, what this digest's papers matched. */
  interests?: Interests;
  papers: {
    id: number;
    displayTitle: string;
    abstract: string;
    codeUrl: string | null;
    arxivId?: string | null;
    authors?: string[];
    upvotes?: number | null;
    matchedTopics: string[];
    matchedKeywords: string[];
    /** Evidence records from the planner (topics/reasons.ts); older digests have none. */
    reasons?: string[];
  }[];
}

/** The paper fields a digest shows: what send, preview and the digest page load. */
export const DIGEST_PAPER_FIELDS = { id: true, displayTitle: true, abstract: true, codeUrl: true, arxivId: true, authors: true, upvotes: true } as const;

export interface DigestLinks {
  baseUrl: string;
  /** The digest's own page; absent for a preview of a digest not planned yet. */
  viewInBrowserUrl?: string;
  manageUrl: string;
  unsubscribeUrl: string;
  /** The reader's archive of past digests (absent in previews). */
  archiveUrl?: string;
  postalAddress: string;
  /** The reader's "more / less like this" link for a paper. */
  feedbackUrl(paperId: number, verdict: "more" | "less"): string;
}

export interface RenderedDigest extends RenderedEmail {
  subject: string;
}

const TOPIC_BY_SLUG = new Map(TOPICS.map((t) => [t.slug, t]));
/** Short topic names for subject lines, where space is scarce. */
const SUBJECT_NAMES: Record<string, string> = {
  reasoning: "Reasoning",
  math: "Math",
  agents: "Agents",
  "reinforcement-learning": "RL",
  "reward-models": "Reward Models",
  "continual-learning": "Continual Learning",
  distillation: "Distillation",
  "pretraining-data": "Pre-training Data",
  "instruction-tuning": "Alignment",
  diffusion: "Diffusion",
  multimodal: "Multimodal",
  "meta-learning": "Meta-Learning",
  efficiency: "Efficiency",
  surveys: "Surveys",
};

// Dates in the site's one style (src/dates.ts, formats built once); layout.ts cuts each abstract's sentence once.

/** What the reader follows, or (previews, older callers) what the digest's papers matched. */
export function interestsOf(content: Pick<DigestContent, "interests" | "papers">): Interests {
  if (content.interests) return content.interests;
  return { topics: [...new Set(content.papers.flatMap((p) => p.matchedTopics))], keywords: [...new Set(content.papers.flatMap((p) => p.matchedKeywords))] };
}

export function renderDigest(templates: EmailTemplates, content: DigestContent, links: DigestLinks): RenderedDigest {
  const subject = digestSubject(content);
  const interests = interestsOf(content);
  let position = 0;
  const data = {
    subject,
    preview: content.papers.map((p) => p.displayTitle).join(" · ").slice(0, 140),
    heading: digestHeading(content.papers.length, interests),
    dateLong: formatDay(content.localDate),
    groups: groupPapers(content.papers, interests).map((group) => ({
      name: group.name,
      papers: group.papers.map((paper) => ({
        position: ++position,
        title: paper.displayTitle,
        lead: paperSentence(paper.abstract),
        why: whyMatched(paper),
        moreUrl: links.feedbackUrl(paper.id, "more"),
        lessUrl: links.feedbackUrl(paper.id, "less"),
        codeUrl: paper.codeUrl,
        paperUrl: `${links.baseUrl}/papers/${paper.id}`,
        ...paperMeta(paper),
      })),
    })),
    viewInBrowserUrl: links.viewInBrowserUrl,
    manageUrl: links.manageUrl,
    unsubscribeUrl: links.unsubscribeUrl,
    archiveUrl: links.archiveUrl,
    footerReason: `You get this email because ${content.email} subscribed to Trending Papers Digest${content.confirmedAt ? ` and confirmed on ${formatDay(content.confirmedAt)}` : ""}.`,
    postalAddress: links.postalAddress,
  };
  return { subject, ...templates.render("digest", data) };
}

/** "5 new papers: Reasoning, Agents — Tue 24 Nov": the count and the two topics most papers matched. */
export function digestSubject(content: { localDate: Date; papers: Pick<DigestContent["papers"][number], "matchedTopics" | "matchedKeywords">[] }): string {
  const counts = new Map<string, number>();
  for (const paper of content.papers) {
    const names = [...paper.matchedTopics.map((slug) => SUBJECT_NAMES[slug] ?? slug), ...paper.matchedKeywords.map((k) => `“${k}”`)];
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([name]) => name);
  const n = content.papers.length;
  const day = formatShortDay(content.localDate);
  return `${n} new paper${n === 1 ? "" : "s"}: ${top.join(", ")} — ${day}`;
}

// Many readers get a paper for the same reasons (the planner stores each set of evidence once): describe each set once.
const described = new Map<string, string>();

/** The evidence, quoted: `matched “process supervision” (Reward Models)`; older digests name only the topics. */
export function whyMatched(paper: Pick<DigestContent["papers"][number], "matchedTopics" | "matchedKeywords" | "reasons">): string {
  // Control characters as separators: input forms reject them in keywords (text-safety.ts), slugs are ours, and a
  // reason's own fields use U+001E and U+001F (topics/reasons.ts).
  const key = `${(paper.reasons ?? []).join("\u001d")}\u001c${paper.matchedTopics.join("\u001d")}\u001c${paper.matchedKeywords.join("\u001d")}`;
  let why = described.get(key);
  if (why === undefined) {
    why = describeWhy(paper);
    if (described.size > 10_000) described.clear();
    described.set(key, why);
  }
  return why;
}

function describeWhy(paper: Pick<DigestContent["papers"][number], "matchedTopics" | "matchedKeywords" | "reasons">): string {
  const described = describeReasons(paper.reasons ?? [], (slug) => TOPIC_BY_SLUG.get(slug)?.name ?? slug);
  if (described.length) return described.join(" · ");
  const topics = paper.matchedTopics.map((slug) => TOPIC_BY_SLUG.get(slug)?.name ?? slug);
  const keywords = paper.matchedKeywords.map((k) => `your keyword “${k}”`);
  return [...topics, ...keywords].join(", ");
}

/** "▲ 142 · Ada Lovelace, Alan Turing, Grace Hopper et al." and the arXiv links, for emails and pages. */
export function paperMeta(paper: Pick<DigestContent["papers"][number], "arxivId" | "authors" | "upvotes">) {
  const parts = [paper.upvotes ? `▲ ${paper.upvotes}` : "", shortAuthors(paper.authors ?? [])].filter(Boolean);
  return {
    meta: parts.join(" · "),
    arxivUrl: paper.arxivId ? arxivAbsUrl(paper.arxivId) : null,
    pdfUrl: paper.arxivId ? arxivPdfUrl(paper.arxivId) : null,
  };
}
