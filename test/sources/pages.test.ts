// The paper page and the list show what live sources added: upvotes, shortened authors, arXiv, PDF and other links.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storePapers } from "../../src/corpus/store.ts";
import { startTestService, type TestService } from "../support/service.ts";

let service: TestService;
let id: number;
beforeAll(async () => {
  service = await startTestService();
  const stored = await storePapers(
    service.database.db,
    [
      {
        arxivId: "2611.04012",
        title: "Rehearsal-Free Continual Learning with Drifting Prototypes",
        displayTitle: "Rehearsal-Free Continual Learning with Drifting Prototypes",
        abstract: "We propose drifting prototypes. More at https://example-lab.github.io/extra.",
        authors: ["Mira Okafor", "Tomasz Lindqvist", "Priya Raghunathan", "Jun Watanabe"],
        publishedAt: new Date("2026-11-20T17:42:11Z"),
        links: ["https://example-lab.github.io/extra"],
        codeUrl: "https://github.com/example-lab/drift-proto",
        projectUrl: "https://example-lab.github.io/drift-proto",
        hfUrl: "https://huggingface.co/papers/2611.04012",
        rank: 1,
        upvotes: 142,
        comments: 9,
      },
    ],
    { source: "huggingface", seenIn: "huggingface 2026-11-24", seenAt: new Date() },
  );
  id = stored.paperIds[0]!;
});
afterAll(async () => {
  await service?.close();
});

describe("a paper from live sources", () => {
  it("shows its upvotes, shortened authors and every link on its page", async () => {
    const html = await (await fetch(`${service.baseUrl}/papers/${id}`)).text();
    expect(html).toContain("Mira Okafor, Tomasz Lindqvist, Priya Raghunathan et al.");
    expect(html).toContain("▲ 142");
    expect(html).toContain("published Fri 20 Nov 2026"); // the site's one date style
    for (const href of ["https://arxiv.org/abs/2611.04012", "https://arxiv.org/pdf/2611.04012", "https://huggingface.co/papers/2611.04012", "https://github.com/example-lab/drift-proto", "https://example-lab.github.io/drift-proto", "https://example-lab.github.io/extra"]) {
      expect(html).toContain(`href="${href}"`);
    }
  });

  it("leaves out the links section for a saved-page paper that has none", async () => {
    const { paperIds } = await storePapers(service.database.db, [{ title: "A Plain Saved Paper", displayTitle: "A Plain Saved Paper", abstract: "No links here at all.", rank: 2 }], { source: "folder", seenIn: "page.txt", seenAt: new Date() });
    const html = await (await fetch(`${service.baseUrl}/papers/${paperIds[0]}`)).text();
    expect(html).toContain("No links here at all.");
    expect(html).not.toContain("<h2>Links</h2>");
    expect(html).not.toContain('class="byline"');
  });

  it("shows its upvotes in the list", async () => {
    const html = await (await fetch(`${service.baseUrl}/papers`)).text();
    expect(html).toMatch(/▲ 142 · first seen (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}/);
  });
});
