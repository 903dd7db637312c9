import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCorpus } from "../../src/corpus/parse.ts";
import { cleanTitle, extractLinks, leadSentences, paperKey } from "../../src/corpus/text.ts";
import { SHARED_CORPUS_FILE, sharedCorpusPresent } from "../support/corpus.ts";

const HEADER = "Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\n";
const abstract = (topic: string) =>
  `We study ${topic} in depth and propose a new method for it. Experiments on several benchmarks show clear gains over strong baselines, and we release our code and data so that others can build on this work in the future.`;
const page = (...lines: string[]) => HEADER + lines.join("\n") + "\n";

describe.skipIf(!sharedCorpusPresent)("the shared corpus file", () => {
  const parsed = sharedCorpusPresent ? parseCorpus(fs.readFileSync(SHARED_CORPUS_FILE), "000.txt") : { papers: [], warnings: [] };

  it("recovers exactly 268 papers without warnings", () => {
    expect(parsed.papers).toHaveLength(268);
    expect(parsed.warnings).toEqual([]);
  });

  it("strips the Subscribe button text from the first title and keeps page order as rank", () => {
    expect(parsed.papers[0]!.displayTitle).toBe("TrackSSM: A General Motion Predictor by State-Space Model");
    expect(parsed.papers.at(-1)!.displayTitle).toBe("Continual Task Allocation in Meta-Policy Network via Sparse Prompting");
    expect(parsed.papers.map((p) => p.rank)).toEqual(Array.from({ length: 268 }, (_, i) => i + 1));
  });

  it("cleans LaTeX from titles and keeps special characters", () => {
    const titles = parsed.papers.map((p) => p.displayTitle);
    expect(titles).toContain("Complex-Edit: CoT-Like Instruction Generation for Complexity-Controllable Image Editing Benchmark");
    expect(titles.some((t) => t.startsWith("TÜLU 3:"))).toBe(true);
    expect(titles.some((t) => t.startsWith("S^3c-Math:"))).toBe(true);
  });

  it("extracts code links from abstracts", () => {
    expect(parsed.papers[0]!.codeUrl).toBe("https://github.com/Xavier-Lin/TrackSSM");
    const withLinks = parsed.papers.filter((p) => p.links.length > 0);
    expect(withLinks.length).toBeGreaterThanOrEqual(50);
    for (const link of withLinks.flatMap((p) => p.links)) expect(link).toMatch(/^https?:\/\/[^\s]+[^.,;)}]$/);
  });

  it("gives every paper a distinct key", () => {
    expect(new Set(parsed.papers.map((p) => p.key)).size).toBe(268);
  });
});

describe("malformed input", () => {
  it("handles CRLF line ends and a byte-order mark", () => {
    const text = `\uFEFF${page("SubscribeFirst Paper", abstract("a"), "Second Paper", abstract("b"))}`.replace(/\n/g, "\r\n");
    const { papers, warnings } = parseCorpus(text, "crlf.txt");
    expect(papers.map((p) => p.displayTitle)).toEqual(["First Paper", "Second Paper"]);
    expect(papers[0]!.abstract).toBe(abstract("a"));
    expect(warnings).toEqual([]);
  });

  it("warns about blank lines and still reads every paper", () => {
    const { papers, warnings } = parseCorpus(page("First Paper", "", abstract("a"), "", "Second Paper", abstract("b")), "blank.txt");
    expect(papers).toHaveLength(2);
    expect(warnings).toEqual([
      { file: "blank.txt", line: 4, message: "blank line, ignored" },
      { file: "blank.txt", line: 6, message: "blank line, ignored" },
    ]);
  });

  it("warns about a header line in the middle and keeps going", () => {
    const { papers, warnings } = parseCorpus(page("First Paper", abstract("a"), "Get trending papers in your email inbox!", "SubscribeSecond Paper", abstract("b")), "mid.txt");
    expect(papers.map((p) => p.displayTitle)).toEqual(["First Paper", "Second Paper"]);
    expect(warnings).toEqual([{ file: "mid.txt", line: 5, message: "page header in the middle of the file, ignored" }]);
  });

  it("warns about a title with no abstract and keeps the papers around it", () => {
    const { papers, warnings } = parseCorpus(page("First Paper", abstract("a"), "Orphan Title", "Third Paper", abstract("c")), "orphan.txt");
    expect(papers.map((p) => p.displayTitle)).toEqual(["First Paper", "Third Paper"]);
    expect(papers.map((p) => p.rank)).toEqual([1, 2]);
    expect(warnings).toEqual([{ file: "orphan.txt", line: 5, message: 'title with no abstract ("Orphan Title"), skipped' }]);
  });

  it("warns about a title with no abstract at the end of the file", () => {
    const { papers, warnings } = parseCorpus(page("First Paper", abstract("a"), "Last Title"), "end.txt");
    expect(papers).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: "end.txt", line: 5 });
  });

  it("warns about an abstract with no title", () => {
    const { papers, warnings } = parseCorpus(page(abstract("x"), "First Paper", abstract("a")), "notitle.txt");
    expect(papers.map((p) => p.displayTitle)).toEqual(["First Paper"]);
    expect(warnings).toEqual([{ file: "notitle.txt", line: 3, message: "abstract with no title before it, skipped" }]);
  });

  it("warns about a duplicate entry and keeps the first", () => {
    const { papers, warnings } = parseCorpus(page("Same Paper", abstract("a"), "Other Paper", abstract("b"), "Same  paper", abstract("c")), "dup.txt");
    expect(papers.map((p) => p.displayTitle)).toEqual(["Same Paper", "Other Paper"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: "dup.txt", line: 7 });
    expect(warnings[0]!.message).toMatch(/duplicate of the paper at line 3/);
  });

  it("warns about an empty file", () => {
    expect(parseCorpus("", "empty.txt")).toEqual({ papers: [], warnings: [{ file: "empty.txt", line: 1, message: "empty file, no papers" }] });
    expect(parseCorpus("\n\n", "blank.txt").warnings).toHaveLength(1);
  });

  it("warns about a binary file instead of crashing", () => {
    const binary = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe]);
    expect(parseCorpus(binary, "image.png")).toEqual({ papers: [], warnings: [{ file: "image.png", line: 1, message: "binary file (not UTF-8 text), skipped" }] });
  });

  it("reads a file without the page header", () => {
    const { papers } = parseCorpus(["First Paper", abstract("a")].join("\n"), "noheader.txt");
    expect(papers).toHaveLength(1);
  });
});

describe("paper text", () => {
  it("removes control and text-direction characters from titles and abstracts, with a warning", () => {
    const parsed = parseCorpus(page("Safe\u202e Title\u0085 Here\u0007", `${abstract("safety")}\u2066 Extra\u009b sentence.`), "controls.txt");
    expect(parsed.papers).toHaveLength(1);
    expect(parsed.papers[0]!.displayTitle).toBe("Safe Title Here");
    expect(parsed.papers[0]!.abstract).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(parsed.papers[0]!.abstract).toContain("Extra sentence.");
    expect(parsed.warnings.map((w) => [w.line, w.message])).toEqual([
      [3, "removed control or text-direction characters"],
      [4, "removed control or text-direction characters"],
    ]);
    expect(cleanTitle("A\u202eB\u200fC\u0085D")).toBe("ABC D");
  });

  it("cleans LaTeX markup from titles", () => {
    expect(cleanTitle("$\\texttt{Complex-Edit}$: CoT-Like Editing")).toBe("Complex-Edit: CoT-Like Editing");
    expect(cleanTitle("\\textbf{\\emph{Nested}} and R\\&D")).toBe("Nested and R&D");
    expect(cleanTitle("S^3c-Math: Self-correction")).toBe("S^3c-Math: Self-correction");
    expect(cleanTitle("TÜLU 3: Pushing Frontiers")).toBe("TÜLU 3: Pushing Frontiers");
  });

  it("keys papers by title regardless of case, spacing and markup", () => {
    expect(paperKey("$\\texttt{Complex-Edit}$: A Benchmark")).toBe(paperKey("complex edit:  a benchmark"));
    expect(paperKey("First Paper")).not.toBe(paperKey("Second Paper"));
  });

  it("extracts links with and without a scheme and trims punctuation", () => {
    expect(
      extractLinks("Code is at https://github.com/a/b. See www.github.com/c/d, the url{https://e.github.io/f} and github.com/g/h.git; also (https://x.ai/y)."),
    ).toEqual(["https://github.com/a/b", "https://github.com/c/d", "https://e.github.io/f", "https://github.com/g/h", "https://x.ai/y"]);
  });

  it("takes the first sentences of an abstract", () => {
    expect(leadSentences("One sentence here. Two sentences here, e.g. with an abbreviation. Three.", 2)).toBe(
      "One sentence here. Two sentences here, e.g. with an abbreviation.",
    );
  });
});
