// Email templates: each MJML file is compiled to HTML once (MJML is slow: milliseconds per render), keeping its
// Handlebars placeholders; every recipient then gets a cheap Handlebars fill, HTML-escaped by default.
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import mjml2html from "mjml";
import { PROJECT_ROOT } from "../config.ts";

export const EMAIL_TEMPLATES_DIR = path.join(PROJECT_ROOT, "templates", "email");

export interface RenderedEmail {
  html: string;
  text: string;
}

export interface EmailTemplates {
  render(name: string, data: object): RenderedEmail;
  names(): string[];
}

export async function loadEmailTemplates(dir = EMAIL_TEMPLATES_DIR): Promise<EmailTemplates> {
  const html = Handlebars.create();
  const text = Handlebars.create();
  const compiled = new Map<string, { html: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate }>();
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith(".mjml") || file.startsWith("_")) continue;
    const name = file.slice(0, -".mjml".length);
    const filePath = path.join(dir, file);
    // MJML 5 ignores mj-include unless allowed; allow it inside the templates folder only.
    const result = await mjml2html(fs.readFileSync(filePath, "utf8"), { filePath, validationLevel: "strict", keepComments: false, ignoreIncludes: false, includePath: dir });
    if (result.errors.length) throw new Error(`${file}: ${result.errors.map((e) => e.formattedMessage).join("; ")}`);
    const textFile = path.join(dir, `${name}.txt.hbs`);
    if (!fs.existsSync(textFile)) throw new Error(`${file} has no plain-text twin ${name}.txt.hbs`);
    compiled.set(name, {
      html: html.compile(result.html, { strict: true }),
      // Plain text is not HTML: no entity escaping there.
      text: text.compile(fs.readFileSync(textFile, "utf8"), { strict: true, noEscape: true }),
    });
  }
  return {
    render(name, data) {
      const template = compiled.get(name);
      if (!template) throw new Error(`no email template "${name}"`);
      return { html: template.html(data), text: template.text(data) };
    },
    names: () => [...compiled.keys()],
  };
}
