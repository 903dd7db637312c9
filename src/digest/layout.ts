// Pure: how a digest's papers are laid out for the reader: a heading that names what they follow, each paper's
// contribution sentence, and the papers grouped under the topic (or keyword) they came for when the reader follows
// several. Shared by the email and the digest's web page.
import { contributionSentence } from "../corpus/contribution.ts";
import { leadSentences } from "../corpus/text.ts";
import { TOPICS } from "../topics/catalog.ts";

/** What the reader follows: topic slugs and their own keywords. */
export interface Interests {
  topics: string[];
  keywords: string[];
}

const TOPIC_NAME = new Map(TOPICS.map((t) => [t.slug, t.name]));
const TOPIC_ORDER = new Map(TOPICS.map((t, i) => [t.slug, i]));
const topicName = (slug: string) => TOPIC_NAME.get(slug) ?? slug;

/** "Reasoning & Chain-of-Thought, Math and “protein folding”"; past three names, "… and 2 more". */
export function namedInterests(interests: Interests): string {
  const names = [...sortTopics(interests.topics).map(topicName), ...interests.keywords.map((k) => `“${k}”`)];
  if (names.length <= 1) return names[0] ?? "";
  const shown = names.length > 3 ? [...names.slice(0, 2), `${names.length - 2} more`] : names;
  return `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
}

/** The email's heading: "5 new papers on Reasoning & Chain-of-Thought and “protein folding”". */
export function digestHeading(count: number, interests: Interests): string {
  const named = namedInterests(interests);
  return `${count} new paper${count === 1 ? "" : "s"}${named ? ` on ${named}` : " for you"}`;
}

// Cut each abstract's sentence once, however many readers get that paper.
const sentences = new Map<string, string>();

/** What the paper contributes, in its own words: the "we propose / introduce / show" sentence, else its opening. */
export function paperSentence(abstract: string): string {
  let sentence = sentences.get(abstract);
  if (sentence === undefined) {
    if (sentences.size > 10_000) sentences.clear();
    sentence = contributionSentence(abstract) ?? leadSentences(abstract, 2, 320);
    sentences.set(abstract, sentence);
  }
  return sentence;
}

export interface PaperGroup<P> {
  /** The topic's name or the quoted keyword; undefined when the digest is not grouped. */
  name?: string;
  papers: P[];
}

/**
 * Groups papers (in rank order) under the first of the reader's topics each matched, in catalog order, else under the
 * first keyword it matched; papers that came for neither (a liked paper's neighbour) go last, "Also for you". Groups
 * come in the order of their best paper, papers keep their rank within a group. One group, unnamed, when the reader
 * follows a single topic or keyword or every paper came for the same one.
 */
export function groupPapers<P extends { matchedTopics: string[]; matchedKeywords: string[] }>(papers: P[], interests: Interests): PaperGroup<P>[] {
  const followed = interests.topics.length + interests.keywords.length;
  const topicRank = sortTopics(interests.topics);
  const groups = new Map<string, PaperGroup<P>>();
  for (const paper of papers) {
    const topic = topicRank.find((slug) => paper.matchedTopics.includes(slug));
    const keyword = interests.keywords.find((k) => paper.matchedKeywords.includes(k)) ?? paper.matchedKeywords[0];
    const name = topic ? topicName(topic) : keyword ? `“${keyword}”` : "Also for you";
    const group = groups.get(name) ?? { name, papers: [] };
    group.papers.push(paper);
    groups.set(name, group);
  }
  const list = [...groups.values()];
  if (followed < 2 || list.length < 2) return [{ papers }];
  // "Also for you" is not something the reader follows: it goes last whatever its papers' rank.
  return [...list.filter((g) => g.name !== "Also for you"), ...list.filter((g) => g.name === "Also for you")];
}

function sortTopics(slugs: string[]): string[] {
  return [...slugs].sort((a, b) => (TOPIC_ORDER.get(a) ?? 99) - (TOPIC_ORDER.get(b) ?? 99));
}
