// Atom feeds, read back with an XML parser as a feed reader would.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestPath } from "../../src/corpus/ingest.ts";
import { refreshMatching } from "../../src/topics/paper-index.ts";
import { SAMPLE_CORPUS_DIR } from "../support/corpus.ts";
import { abstractAbout, ingestPapers } from "../support/digest.ts";
import { startTestService, type TestService } from "../support/service.ts";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
  await ingestPath(service.database.db, SAMPLE_CORPUS_DIR);
  await ingestPapers(
    service.database.db,
    [{ title: "Chain-of-Thought Reasoning <script>alert(1)</script> & Friends ]]> Too", abstract: `Reasoning models think step by step. ${abstractAbout("chain-of-thought reasoning")}` }],
    new Date(),
  );
  await refreshMatching(service.database.db);
});
afterAll(async () => {
  await service?.close();
});

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", isArray: (name) => name === "entry" || name === "link" || name === "category" || name === "author" });

function readAtom(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const { feed } = parser.parse(xml) as { feed: Record<string, any> };
  expect(feed["@xmlns"]).toBe("http://www.w3.org/2005/Atom");
  for (const required of ["id", "title", "updated"]) expect(feed[required], required).toBeTruthy();
  return { feed, entries: (feed.entry ?? []) as Record<string, any>[] };
}

describe("a topic's public Atom feed", () => {
  it("lists the topic's newest papers with their contribution sentence and links, escaped", async () => {
    const res = await fetch(`${service.baseUrl}/topics/reasoning/feed.xml`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toContain("public");
    const xml = await res.text();
    const { feed, entries } = readAtom(xml);
    expect(feed.title).toContain("Reasoning & Chain-of-Thought");
    expect(feed.link.map((l: any) => l["@rel"])).toContain("self");
    expect(feed.author[0].name).toBe("Trending Papers Digest");

    const { db } = service.database;
    const inTopic = await db.topicPaper.findMany({ where: { topic: { slug: "reasoning" } }, include: { paper: true } });
    expect(entries.map((e) => e.id).sort()).toEqual(inTopic.map((t) => `${service.baseUrl}/papers/${t.paperId}`).sort());
    const updated = entries.map((e) => Date.parse(e.updated));
    expect(updated).toEqual([...updated].sort((a, b) => b - a));

    // The hostile title arrives as text, not markup: escaped inside the type="html" title.
    const hostile = entries.find((e) => String(e.title["#text"] ?? e.title).includes("Friends"))!;
    expect(hostile.title["@type"]).toBe("html");
    expect(String(hostile.title["#text"])).toBe("Chain-of-Thought Reasoning &lt;script&gt;alert(1)&lt;/script&gt; &amp; Friends ]]&gt; Too");
    expect(xml).not.toContain("<script>");
    // Its summary is the contribution sentence, not the opening background sentence.
    expect(String(hostile.summary["#text"])).toBe("We propose a method for chain-of-thought reasoning and evaluate it on standard benchmarks.");

    const looptrace = inTopic.find((t) => t.paper.displayTitle.startsWith("LoopTrace"));
    if (looptrace?.paper.codeUrl) expect(xml).toContain(looptrace.paper.codeUrl);
  });

  it("answers 404 for a topic that does not exist", async () => {
    expect((await fetch(`${service.baseUrl}/topics/no-such-topic/feed.xml`)).status).toBe(404);
    expect((await fetch(`${service.baseUrl}/topics/%00/feed.xml`)).status).toBe(404);
  });
});
