// Fixture papers for the live-source tests, and the Hugging Face JSON and arXiv Atom a real upstream would serve for
// them. All text here is written for these tests. Items carry fields our schema does not name, as the real APIs do.
import fs from "node:fs";
import path from "node:path";

export interface FixturePaper {
  /** arXiv id without version. */
  id: string;
  version?: number;
  title: string;
  summary: string;
  authors: string[];
  /** arXiv's first version. */
  published: string;
  /** Put on the Hugging Face daily list. */
  listed?: string;
  upvotes?: number;
  comments?: number;
  github?: string;
  project?: string;
  comment?: string;
}

export const FIXTURES_DIR = path.join(import.meta.dirname, "..", "fixtures", "sources");
export const readFixture = (name: string) => fs.readFileSync(path.join(FIXTURES_DIR, name), "utf8");

/** One item of GET /api/daily_papers, in the API's shape (with fields we ignore). */
export function hfItem(p: FixturePaper) {
  return {
    paper: {
      id: p.id,
      authors: p.authors.map((name, i) => ({ _id: `a${i}`, name, hidden: false })),
      publishedAt: p.published,
      ...(p.listed ? { submittedOnDailyAt: p.listed } : {}),
      title: p.title,
      summary: p.summary,
      upvotes: p.upvotes ?? 0,
      discussionId: `d-${p.id}`,
      githubRepo: p.github ?? null,
      ...(p.project ? { projectPage: p.project } : {}),
      ai_keywords: ["ignored"],
    },
    publishedAt: p.listed ?? p.published,
    title: p.title,
    thumbnail: `https://example.invalid/${p.id}.png`,
    numComments: p.comments ?? 0,
    isAuthorParticipating: false,
  };
}

export const hfJson = (papers: FixturePaper[]) => JSON.stringify(papers.map(hfItem));

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** An arXiv API answer (Atom) listing `papers`. */
export function atomFeed(papers: FixturePaper[], opts: { totalResults?: number; start?: number } = {}) {
  const entries = papers.map(
    (p) => `  <entry>
    <id>http://arxiv.org/abs/${p.id}v${p.version ?? 1}</id>
    <updated>${p.published}</updated>
    <published>${p.published}</published>
    <title>${xml(p.title)}</title>
    <summary>${xml(p.summary)}</summary>
${p.authors.map((a) => `    <author><name>${xml(a)}</name></author>`).join("\n")}
${p.comment ? `    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">${xml(p.comment)}</arxiv:comment>\n` : ""}    <link href="http://arxiv.org/abs/${p.id}v${p.version ?? 1}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/${p.id}v${p.version ?? 1}" rel="related" type="application/pdf"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: fixture</title>
  <id>http://arxiv.org/api/fixture</id>
  <updated>2026-11-24T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${opts.totalResults ?? papers.length}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${opts.start ?? 0}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${papers.length}</opensearch:itemsPerPage>
${entries.join("\n")}
</feed>
`;
}

/** A paper about `subject`, with an abstract long and specific enough to match that topic. */
export function paperAbout(id: string, title: string, subject: string, extra: Partial<FixturePaper> = {}): FixturePaper {
  return {
    id,
    title,
    summary: `We study ${subject} and introduce a method for ${subject} that is simple to implement. Experiments on several public benchmarks show clear gains over strong baselines, and an analysis explains when and why the method helps.`,
    authors: ["Ada Example", "Grace Sample", "Alan Fixture", "Edsger Mock"],
    published: "2026-11-20T10:00:00Z",
    ...extra,
  };
}
