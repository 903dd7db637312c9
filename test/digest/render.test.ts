import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { digestSubject, renderDigest } from "../../src/digest/render.ts";
import { loadEmailTemplates, type EmailTemplates } from "../../src/mail/templates.ts";
import { createMailer, listHeaders } from "../../src/mail/transport.ts";
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
    expect(rendered.html).toContain("First sentence here. Second sentence follows. Third one too.");
    expect(rendered.html).not.toContain("A fourth");
    expect(rendered.html).toContain("Reasoning &amp; Chain-of-Thought, your keyword “&quot;quoted&quot; kw”");
    expect(rendered.html).toContain('href="https://d.test/papers/1"');
    expect(rendered.html).toContain("1 Street &lt;City&gt;");
    expect(rendered.text).toContain("1. <script>x</script> & more");
    expect(rendered.text).toContain("Unsubscribe: https://d.test/unsubscribe/u");
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

  it("signs both List-Unsubscribe headers", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const config = loadConfig({
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      DKIM_DOMAIN: "example.com",
      DKIM_SELECTOR: "mail",
      DKIM_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    });
    const mailer = createMailer(config, sink.url);
    await mailer.send({ to: "r@example.com", subject: "s", html: "<p>x</p>", text: "x", headers: listHeaders({ unsubscribeUrl: "https://d.test/unsubscribe/u", listId: "<l.d.test>" }) });
    mailer.close();
    const [mail] = await sink.waitFor(1);
    const signature = mail!.raw.slice(0, mail!.raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ").match(/^DKIM-Signature:.*$/im)![0];
    const signed = /\bh=([^;]+)/.exec(signature)![1]!.toLowerCase().replace(/\s/g, "").split(":");
    expect(signed).toContain("list-unsubscribe");
    expect(signed).toContain("list-unsubscribe-post");
  });
});
