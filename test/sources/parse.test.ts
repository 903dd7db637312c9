// Pure parts of the live sources: ids, the two upstream formats, the merge rule, the announcement cycle, Retry-After.
import { describe, expect, it } from "vitest";
import { arxivAbsUrl, arxivPdfUrl, normalizeArxivId } from "../../src/corpus/arxiv.ts";
import { mergePaper, type StoredPaper } from "../../src/corpus/merge.ts";
import { shortAuthors } from "../../src/corpus/text.ts";
import { lastAnnouncement } from "../../src/sources/announcement.ts";
import { parseAtomFeed, searchQuery } from "../../src/sources/arxiv.ts";
import { retryAfterMs, SourceFetchError } from "../../src/sources/fetcher.ts";
import { dailyPaperItem, parseDailyPapers } from "../../src/sources/huggingface.ts";
import { SourceShapeError } from "../../src/sources/types.ts";
import { atomFeed, hfItem, paperAbout, readFixture } from "../support/upstream.ts";

const HF = { url: "http://hf.test/api/daily_papers?date=2026-11-24", day: "2026-11-24", baseUrl: "http://hf.test", now: new Date("2026-11-24T12:00:00Z") };

describe("arXiv ids", () => {
  it("normalises every spelling of an id to one, without version", () => {
    for (const raw of ["2611.04012", "2611.04012v3", "arXiv:2611.04012v1", "https://arxiv.org/abs/2611.04012v2", "http://arxiv.org/pdf/2611.04012v2.pdf", "https://export.arxiv.org/abs/2611.04012"]) {
      expect(normalizeArxivId(raw), raw).toBe("2611.04012");
    }
    expect(normalizeArxivId("http://arxiv.org/abs/hep-th/9901001v1")).toBe("hep-th/9901001");
    expect(normalizeArxivId("math.GT/0309136")).toBe("math/0309136");
    expect(normalizeArxivId("1501.0123")).toBe("1501.0123");
    for (const bad of ["", "not-an-id", "2611.123", "https://example.com/abs/2611.04012", "12345.67890"]) expect(normalizeArxivId(bad), bad).toBeUndefined();
    expect([arxivAbsUrl("2611.04012"), arxivPdfUrl("2611.04012")]).toEqual(["https://arxiv.org/abs/2611.04012", "https://arxiv.org/pdf/2611.04012"]);
  });

  it("shortens author lists to three names and et al.", () => {
    expect(shortAuthors(["A One", "B Two"])).toBe("A One, B Two");
    expect(shortAuthors(["A One", "B  Two", "C Three", "D Four"])).toBe("A One, B Two, C Three et al.");
    expect(shortAuthors([])).toBe("");
  });
});

describe("Hugging Face daily papers", () => {
  it("reads the API's items into papers, ignoring fields it does not know", () => {
    const { papers, warnings } = parseDailyPapers(readFixture("hf-daily-papers.json"), HF);
    expect(warnings).toEqual([]);
    expect(papers).toHaveLength(3);
    expect(papers[0]).toMatchObject({
      arxivId: "2611.04012",
      displayTitle: "Rehearsal-Free Continual Learning with Drifting Prototypes",
      authors: ["Mira Okafor", "Tomasz Lindqvist", "Priya Raghunathan", "Jun Watanabe"],
      publishedAt: new Date("2026-11-20T17:42:11.000Z"),
      listedAt: new Date("2026-11-24T06:12:00.000Z"),
      codeUrl: "https://github.com/example-lab/drift-proto",
      projectUrl: "https://example-lab.github.io/drift-proto",
      hfUrl: "http://hf.test/papers/2611.04012",
      rank: 1,
      upvotes: 142,
      comments: 9,
    });
    // The schema drops what it does not name (the fixture has ai_summary, thumbnail, submittedBy, …).
    expect(Object.keys(dailyPaperItem.parse(JSON.parse(readFixture("hf-daily-papers.json"))[0]))).toEqual(["paper", "numComments", "publishedAt"]);
    expect(papers[1]).toMatchObject({ arxivId: "2611.03877", codeUrl: undefined, projectUrl: undefined, upvotes: 57, comments: 3 });
    // LaTeX in titles is cleaned; the list time comes from the item when the paper has none; links in the abstract.
    expect(papers[2]).toMatchObject({ displayTitle: "A Field Guide to Latent Diffusion Samplers", listedAt: new Date("2026-11-24T09:30:00.000Z"), links: ["https://github.com/hsato/sampler-guide"] });
  });

  it("stops with one error naming the field when every item lacks it (the API changed)", () => {
    const renamed = JSON.parse(readFixture("hf-daily-papers.json")).map((item: { paper: Record<string, unknown> }) => {
      const { upvotes, ...paper } = item.paper;
      return { ...item, paper: { ...paper, upvoteCount: upvotes } };
    });
    expect(() => parseDailyPapers(JSON.stringify(renamed), HF)).toThrow(SourceShapeError);
    expect(() => parseDailyPapers(JSON.stringify(renamed), HF)).toThrow(/field "paper\.upvotes" is missing or invalid in 3 of 3 items .*the API may have changed, run stopped/);
    expect(() => parseDailyPapers(JSON.stringify({ papers: [] }), HF)).toThrow(/expected a list of papers, got object/);
  });

  it("skips a single bad item with a warning that says where, and keeps the rest", () => {
    const items = [hfItem(paperAbout("2611.00001", "Good One", "continual learning", { upvotes: 3 })), { paper: { id: "2611.00002", title: "Bad" } }, hfItem(paperAbout("2611.00003", "Good Two", "agents"))];
    const { papers, warnings } = parseDailyPapers(JSON.stringify(items), HF);
    expect(papers.map((p) => p.arxivId)).toEqual(["2611.00001", "2611.00003"]);
    expect(warnings).toEqual([`${HF.url} item 1 (2611.00002): field "paper.summary": Invalid input: expected string, received undefined; item skipped`]);
  });

  it("fails on truncated JSON with a message naming the URL, and reads an empty day as no papers", () => {
    const text = readFixture("hf-daily-papers.json");
    expect(() => parseDailyPapers(text.slice(0, text.length / 2), HF)).toThrow(SourceFetchError);
    expect(() => parseDailyPapers(text.slice(0, text.length / 2), HF)).toThrow(/^http:\/\/hf\.test\/api\/daily_papers\?date=2026-11-24: not valid JSON/);
    expect(parseDailyPapers("[]", HF)).toEqual({ papers: [], warnings: [] });
  });
});

describe("arXiv Atom", () => {
  const where = { url: "http://arxiv.test/api/query?x", firstRank: 1 };

  it("reads entries into papers: id without version, joined title lines, authors, code link from the comment", () => {
    const feed = parseAtomFeed(readFixture("arxiv-query.atom"), where);
    expect(feed.totalResults).toBe(2);
    expect(feed.warnings).toEqual([]);
    expect(feed.papers.map((p) => [p.arxivId, p.displayTitle, p.rank])).toEqual([
      ["2611.04012", "Rehearsal-Free Continual Learning with Drifting Prototypes", 1],
      ["2611.04388", "Replay Budgets for Lifelong Learning under Memory Limits", 2],
    ]);
    expect(feed.papers[0]!.abstract).toMatch(/^Continual learning systems forget earlier tasks when they are trained on new ones, and most/);
    expect(feed.papers[0]!.authors).toEqual(["Mira Okafor", "Tomasz Lindqvist", "Priya Raghunathan", "Jun Watanabe"]);
    expect(feed.papers[0]!.publishedAt).toEqual(new Date("2026-11-20T17:42:11Z"));
    expect(feed.papers[1]!.codeUrl).toBe("https://github.com/ibakker/replay-budgets");
    expect(feed.papers[0]!.upvotes).toBeUndefined();
  });

  it("keeps numeric-looking ids as text and reads a day with no entries", () => {
    const feed = parseAtomFeed(atomFeed([paperAbout("2611.10000", "Ten Thousand", "agents")]), where);
    expect(feed.papers[0]!.arxivId).toBe("2611.10000");
    expect(parseAtomFeed(atomFeed([]), where)).toMatchObject({ papers: [], entries: 0, totalResults: 0 });
  });

  it("fails clearly on broken XML, on the API's error entry, and on a feed whose entries all changed shape", () => {
    const text = readFixture("arxiv-query.atom");
    expect(() => parseAtomFeed(text.slice(0, 1500), where)).toThrow(/^http:\/\/arxiv\.test\/api\/query\?x: not valid XML \(line \d+/);
    const error = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title><summary>incorrect id format for 1234</summary><published>2026-11-24T00:00:00Z</published></entry></feed>`;
    expect(() => parseAtomFeed(error, where)).toThrow(/arXiv API error: incorrect id format for 1234/);
    expect(() => parseAtomFeed(text.replace(/<summary>[\s\S]*?<\/summary>/g, "").replace(/summary/g, "abstract"), where)).toThrow(/field "summary" is missing or invalid in every entry/);
    expect(() => parseAtomFeed("<html><body>maintenance</body></html>", where)).toThrow(/not an Atom feed/);
  });

  it("asks for the configured categories, and one day's submissions when given a date", () => {
    expect(searchQuery(["cs.LG"])).toBe("cat:cs.LG");
    expect(searchQuery(["cs.LG", "cs.CL"], "2026-11-24")).toBe("(cat:cs.LG OR cat:cs.CL) AND submittedDate:[202611240000 TO 202611242359]");
  });
});

describe("arXiv's announcement cycle", () => {
  it("is 20:00 New York time, Sunday to Thursday, across daylight-saving changes", () => {
    // Tuesday 24 Nov 2026, 13:00 UTC = 08:00 EST: the last announcement was Monday 20:00 EST = Tuesday 01:00 UTC.
    expect(lastAnnouncement(new Date("2026-11-24T13:00:00Z")).toISOString()).toBe("2026-11-24T01:00:00.000Z");
    expect(lastAnnouncement(new Date("2026-11-25T01:00:00Z")).toISOString()).toBe("2026-11-25T01:00:00.000Z");
    // Saturday and Sunday before 20:00: Thursday's announcement still holds.
    expect(lastAnnouncement(new Date("2026-11-29T12:00:00Z")).toISOString()).toBe("2026-11-27T01:00:00.000Z");
    // Summer (EDT, UTC-4): 20:00 is 00:00 UTC.
    expect(lastAnnouncement(new Date("2026-07-15T12:00:00Z")).toISOString()).toBe("2026-07-15T00:00:00.000Z");
  });
});

describe("merging a paper from another source", () => {
  const stored: StoredPaper = {
    arxivId: null,
    titleKey: "t",
    title: "Saved Title",
    displayTitle: "Saved Title",
    abstract: "Saved abstract.",
    authors: [],
    publishedAt: null,
    links: ["https://github.com/a/b"],
    codeUrl: "https://github.com/a/b",
    projectUrl: null,
    hfUrl: null,
    upvotes: null,
    comments: null,
    seenBy: ["folder"],
    metadataSource: "folder",
  };

  it("fills gaps and never blanks a field; a more trusted source replaces title and abstract", () => {
    const { patch, changed } = mergePaper(stored, { arxivId: "2611.00001", title: "Saved Title", displayTitle: "Saved Title", abstract: "The real abstract.", authors: ["A"], rank: 2, upvotes: 5, comments: 1, hfUrl: "http://hf/papers/2611.00001" }, "huggingface", "t");
    expect(changed).toBe(true);
    expect(patch).toEqual({ arxivId: "2611.00001", abstract: "The real abstract.", authors: ["A"], hfUrl: "http://hf/papers/2611.00001", metadataSource: "huggingface", upvotes: 5, comments: 1, seenBy: ["folder", "huggingface"] });
  });

  it("lets a less trusted source fill only what is empty", () => {
    const fromArxiv = { ...stored, arxivId: "2611.00001", abstract: "arXiv abstract.", authors: ["A", "B"], metadataSource: "arxiv", seenBy: ["arxiv"] };
    const { patch, changed } = mergePaper(fromArxiv, { title: "Other", displayTitle: "Other", abstract: "Page abstract.", links: [], codeUrl: "https://github.com/x/y", projectUrl: "https://proj", authors: [], rank: 1 }, "folder", "t2");
    expect(patch).toEqual({ projectUrl: "https://proj", seenBy: ["arxiv", "folder"] });
    expect(changed).toBe(true);
    // The same source may correct its own text; a sighting with nothing new changes nothing.
    expect(mergePaper(fromArxiv, { title: "x", displayTitle: "x", abstract: "y", rank: 1 }, "arxiv", "t").patch).toMatchObject({ title: "x", abstract: "y" });
    expect(mergePaper({ ...fromArxiv, seenBy: ["arxiv", "folder"] }, { title: "Saved Title", displayTitle: "Saved Title", abstract: "arXiv abstract.", rank: 1 }, "arxiv", "t")).toEqual({ patch: {}, changed: false });
  });
});

describe("Retry-After", () => {
  it("reads seconds and HTTP dates", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs("Wed, 25 Nov 2026 12:00:10 GMT", Date.parse("2026-11-25T12:00:00Z"))).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs("soon")).toBeUndefined();
  });
});
