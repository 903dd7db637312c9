import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { digestSubject, renderDigest } from "../../src/digest/render.ts";
import { EMAIL_TEMPLATES_DIR, loadEmailTemplates, type EmailTemplates } from "../../src/mail/templates.ts";
import { createMailer, listHeaders } from "../../src/mail/transport.ts";
import { dkimFailure } from "../support/dkim.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

const paper = (title: string, topics: string[], keywords: string[] = []) => ({
  id: 1,
  displayTitle: title,
  abstract: "First sentence here. Second sentence follows. Third one too. A fourth that is left out.",
  codeUrl: null,
  matchedTopics: topics,
  matchedKeywords: keywords,
});

describe("the digest subject", () => {
  it("names the count, the two topics most papers matched, and the day", () => {
    const papers = [paper("a", ["reasoning", "agents"]), paper("b", ["reasoning"]), paper("c", ["agents"]), paper("d", ["reasoning"]), paper("e", ["math"])];
    expect(digestSubject({ localDate: new Date("2026-11-24"), papers })).toBe("5 new papers: Reasoning, Agents — Tue 24 Nov");
    expect(digestSubject({ localDate: new Date("2026-11-24"), papers: [paper("a", [], ["protein folding"])] })).toBe("1 new paper: “protein folding” — Tue 24 Nov");
  });
});

const LINKS = {
  baseUrl: "https://d.test",
  viewInBrowserUrl: "https://d.test/digests/t",
  manageUrl: "https://d.test/manage/m",
  unsubscribeUrl: "https://d.test/unsubscribe/u",
  postalAddress: "1 Street <City>",
  feedbackUrl: (paperId: number, verdict: "more" | "less") => `https://d.test/feedback/p${paperId}?v=${verdict}`,
};

describe("rendering", () => {
  let templates: EmailTemplates;
  beforeAll(async () => {
    templates = await loadEmailTemplates();
  });

  it("fills the compiled template per reader: lead sentences, why, links, and escaping in HTML", () => {
    const rendered = renderDigest(
      templates,
      { localDate: new Date("2026-11-24"), email: "r@example.com", confirmedAt: new Date("2026-11-01"), papers: [paper("<script>x</script> & more", ["reasoning"], ['"quoted" kw'])] },
      LINKS,
    );
    expect(rendered.html).toContain("&lt;script&gt;x&lt;/script&gt; &amp; more");
    expect(rendered.html).not.toContain("<script>x");
    // No contribution sentence in this abstract: its opening two sentences stand in.
    expect(rendered.html).toContain("First sentence here. Second sentence follows.");
    expect(rendered.html).not.toContain("Third one too");
    expect(rendered.html).toContain("Reasoning &amp; Chain-of-Thought, your keyword “&quot;quoted&quot; kw”");
    expect(rendered.html).toContain('href="https://d.test/papers/1"');
    expect(rendered.html).toContain("1 Street &lt;City&gt;");
    expect(rendered.text).toContain("1. <script>x</script> & more");
    expect(rendered.text).toContain("Unsubscribe: https://d.test/unsubscribe/u");
  });
});

describe("the email's layout", () => {
  let templates: EmailTemplates;
  beforeAll(async () => {
    templates = await loadEmailTemplates();
  });
  const withAbstract = (title: string, topics: string[], keywords: string[], abstract: string) => ({ ...paper(title, topics, keywords), abstract });
  const content = (papers: ReturnType<typeof paper>[], interests: { topics: string[]; keywords: string[] }) => ({
    localDate: new Date("2026-11-24"),
    email: "r@example.com",
    confirmedAt: null,
    interests,
    papers: papers.map((p, i) => ({ ...p, id: i + 1 })),
  });

  it("shows each paper's contribution sentence, not its background opening", () => {
    const abstract =
      "Large language models often fail at multi-step arithmetic. Prior work relies on costly human annotations. We propose StepCheck, a verifier trained on synthetic traces that scores each reasoning step. StepCheck improves accuracy by 9 points.";
    const { html, text } = renderDigest(templates, content([withAbstract("StepCheck", ["reasoning"], [], abstract)], { topics: ["reasoning"], keywords: [] }), LINKS);
    for (const body of [html, text]) {
      expect(body).toContain("We propose StepCheck, a verifier trained on synthetic traces that scores each reasoning step.");
      expect(body).not.toContain("Large language models often fail");
    }
  });

  it("names the reader's topics and keywords in the heading", () => {
    const one = renderDigest(templates, content([paper("a", ["reasoning"])], { topics: ["reasoning"], keywords: [] }), LINKS);
    expect(one.text.split("\n")[0]).toBe("1 new paper on Reasoning & Chain-of-Thought");
    const several = renderDigest(templates, content([paper("a", ["math"]), paper("b", ["reasoning"])], { topics: ["math", "reasoning"], keywords: ["protein folding"] }), LINKS);
    expect(several.text.split("\n")[0]).toBe("2 new papers on Reasoning & Chain-of-Thought, Mathematical Reasoning and “protein folding”");
    expect(several.html).toContain("2 new papers on Reasoning &amp; Chain-of-Thought, Mathematical Reasoning and “protein folding”");
    const many = renderDigest(templates, content([paper("a", ["math"])], { topics: ["math", "reasoning", "agents"], keywords: ["protein folding"] }), LINKS);
    expect(many.text.split("\n")[0]).toBe("1 new paper on Reasoning & Chain-of-Thought, Mathematical Reasoning and 2 more");
  });

  it("groups papers by topic when the reader follows several, best group first, numbering straight through", () => {
    const papers = [paper("Agents 1", ["agents"]), paper("Math 1", ["math", "agents"]), paper("Folding 1", [], ["protein folding"]), paper("Agents 2", ["agents"]), paper("Liked", [])];
    const { html, text } = renderDigest(templates, content(papers, { topics: ["agents", "math"], keywords: ["protein folding"] }), LINKS);
    // "Math 1" matched both: it goes under the reader's first topic in catalog order (Math comes before Agents).
    const sections = text.split(/^== (.+) ==$/m).slice(1);
    const grouped = Object.fromEntries(Array.from({ length: sections.length / 2 }, (_, i) => [sections[2 * i]!, [...sections[2 * i + 1]!.matchAll(/^(\d+)\. (.+)$/gm)].map((m) => `${m[1]} ${m[2]}`)]));
    expect(Object.keys(grouped)).toEqual(["LLM Agents & Tool Use", "Mathematical Reasoning", "“protein folding”", "Also for you"]);
    expect(grouped).toEqual({
      "LLM Agents & Tool Use": ["1 Agents 1", "2 Agents 2"],
      "Mathematical Reasoning": ["3 Math 1"],
      "“protein folding”": ["4 Folding 1"],
      "Also for you": ["5 Liked"],
    });
    expect(html).toContain(">LLM Agents &amp; Tool Use</div>");
    // One topic: no group headings.
    const single = renderDigest(templates, content([paper("x", ["agents"]), paper("y", ["agents"])], { topics: ["agents"], keywords: [] }), LINKS);
    expect(single.text).not.toContain("==");
  });
});

const TEMPLATE_NAMES = fs.readdirSync(EMAIL_TEMPLATES_DIR).filter((f) => f.endsWith(".mjml") && !f.startsWith("_")).map((f) => f.slice(0, -5));

describe("every email template", () => {
  let templates: EmailTemplates;
  beforeAll(async () => {
    templates = await loadEmailTemplates();
  });
  const data = {
    ...LINKS,
    subject: "s",
    preview: "p",
    heading: "h",
    dateLong: "d",
    papers: [],
    groups: [],
    topicList: "t",
    interests: "i",
    days: 14,
    confirmUrl: "https://d.test/confirm/c",
    expiresHours: 48,
    cadenceName: "daily",
    firstEmail: "tomorrow, 07:00 UTC",
    cadenceText: "every day at 07:00",
    footerReason: "r",
  };

  it("declares its language as English, not undetermined", () => {
    for (const name of TEMPLATE_NAMES) {
      const { html } = templates.render(name, data);
      expect(html, name).toMatch(/<html[^>]* lang="en"/);
      expect(html, name).not.toContain('lang="und"');
    }
  });

  it("separates the plain-text signature with the standard '-- ' line (dash, dash, space)", () => {
    for (const name of TEMPLATE_NAMES) {
      const { text } = templates.render(name, data);
      expect(text.split("\n"), name).toContain("-- ");
      expect(text.split("\n"), name).not.toContain("--");
    }
  });
});

describe("DKIM", () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.stop();
  });

  it("signs both List-Unsubscribe headers, and the signature verifies on what the server received", async () => {
    // Signed on the mail thread as Nodemailer streams the message: what arrives (dot-stuffing undone, lines as sent)
    // must carry a signature that verifies, body and headers, as a receiving server checks it.
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const config = loadConfig({
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      DKIM_DOMAIN: "example.com",
      DKIM_SELECTOR: "mail",
      DKIM_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    });
    const mailer = createMailer(config, sink.url);
    const html = Array.from({ length: 300 }, (_, i) => `${i % 9 === 0 ? "." : ""}<p>caf\u00e9 “${i}” x=${i}  ${"w".repeat(i % 120)}  </p>`).join("\n");
    await mailer.send({
      to: "r@example.com",
      subject: "5 new papers: “Reasoning” — Tue 24 Nov",
      html,
      text: "x\n.\n.. dots  \n",
      headers: listHeaders({ unsubscribeUrl: "https://d.test/unsubscribe/u", listId: "<l.d.test>" }),
    });
    mailer.close();
    const [mail] = await sink.waitFor(1);
    expect(mail!.html).toBe(html);
    expect(dkimFailure(mail!.raw, publicKey)).toBeUndefined();
    // The check can fail: one changed byte of the body breaks it.
    expect(dkimFailure(mail!.raw.replace("caf", "cab"), publicKey)).toMatch(/body hash/);
    const signature = mail!.raw.slice(0, mail!.raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ").match(/^DKIM-Signature:.*$/im)![0];
    const signed = /\bh=([^;]+)/.exec(signature)![1]!.toLowerCase().replace(/\s/g, "").split(":");
    expect(signed).toContain("list-unsubscribe");
    expect(signed).toContain("list-unsubscribe-post");
  });
});
