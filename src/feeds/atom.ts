// Pure: papers -> an Atom 1.0 document, written by the `feed` library. Titles, summaries and contents go out as
// type="html", so every piece of paper or reader text is HTML-escaped here first (which also keeps "]]>" out of the
// library's CDATA sections).
import { Feed } from "feed";
import Handlebars from "handlebars";

export interface FeedEntry {
  /** Stable URL naming the entry (our paper page). */
  id: string;
  title: string;
  url: string;
  /** When the entry appeared in this feed (sent to the reader, or first seen). */
  updated: Date;
  /** The contribution sentence or the lead: plain text. */
  summary: string;
  /** Extra lines under the summary, plain text ("Why you got this: …"). */
  notes?: string[];
  links: { label: string; url: string }[];
  authors?: string[];
  categories?: { term: string; label: string }[];
}

export interface FeedDocument {
  /** The feed's own URL (also its id). */
  selfUrl: string;
  /** The page the feed mirrors. */
  pageUrl: string;
  title: string;
  subtitle: string;
  siteUrl: string;
  entries: FeedEntry[];
  /** When nothing is in the feed yet. */
  emptyUpdated: Date;
}

const escape = (text: string) => Handlebars.escapeExpression(text);

export function renderAtomFeed(doc: FeedDocument): string {
  const updated = doc.entries.reduce<Date | undefined>((latest, e) => (!latest || e.updated > latest ? e.updated : latest), undefined) ?? doc.emptyUpdated;
  const feed = new Feed({
    id: doc.selfUrl,
    title: doc.title,
    description: doc.subtitle,
    link: doc.pageUrl,
    updated,
    generator: false,
    language: "en",
    feedLinks: { atom: doc.selfUrl },
    author: { name: "Trending Papers Digest", link: doc.siteUrl },
    copyright: "",
  });
  for (const entry of doc.entries) {
    const links = entry.links.map((l) => `<a href="${escape(l.url)}">${escape(l.label)}</a>`).join(" · ");
    const notes = (entry.notes ?? []).map((n) => `<p>${escape(n)}</p>`).join("");
    feed.addItem({
      id: entry.id,
      title: escape(entry.title),
      link: entry.url,
      date: entry.updated,
      description: escape(entry.summary),
      content: `<p>${escape(entry.summary)}</p>${notes}${links ? `<p>${links}</p>` : ""}`,
      author: entry.authors?.length ? entry.authors.slice(0, 10).map((name) => ({ name })) : undefined,
      category: entry.categories?.map((c) => ({ term: c.term, name: c.label })),
    });
  }
  return feed.atom1();
}
