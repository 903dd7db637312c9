// Email templates: each MJML file is compiled to HTML once (MJML is slow: milliseconds per render), keeping its
// Handlebars placeholders; every recipient then gets a cheap Handlebars fill, HTML-escaped by default.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { PROJECT_ROOT } from "../config.ts";

export const EMAIL_TEMPLATES_DIR = path.join(PROJECT_ROOT, "templates", "email");
// Compiled HTML is cached per template version (hash of every file in the folder): MJML and its dependencies cost
// ~70 MB of memory and are loaded only when a template changed, so send workers stay small.
const COMPILED_CACHE_DIR = path.join(PROJECT_ROOT, ".data", "compiled-email-templates");

// Emails use only the built-in if/each and plain fields. Saying so lets Handlebars compile each field to a property
// read instead of a helper look-up first, and `each` without @index/@first frames: the fill runs once per recipient.
// A template that uses another helper or @data fails at its first fill (the tests fill every email template).
const FILL_OPTIONS = { strict: true, knownHelpersOnly: true, data: false } as const;

export interface RenderedEmail {
  html: string;
  text: string;
}

export interface EmailTemplates {
  render(name: string, data: object): RenderedEmail;
}

export async function loadEmailTemplates(dir = EMAIL_TEMPLATES_DIR, opts: { cache?: boolean } = {}): Promise<EmailTemplates> {
  const useCache = (opts.cache ?? true) && dir === EMAIL_TEMPLATES_DIR;
  const html = Handlebars.create();
  const text = Handlebars.create();
  const compiled = new Map<string, { html: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate }>();
  const version = templatesVersion(dir);
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith(".mjml") || file.startsWith("_")) continue;
    const name = file.slice(0, -".mjml".length);
    const compiledHtml = await compileMjml(dir, file, useCache ? version : undefined);
    const textFile = path.join(dir, `${name}.txt.hbs`);
    if (!fs.existsSync(textFile)) throw new Error(`${file} has no plain-text twin ${name}.txt.hbs`);
    compiled.set(name, {
      html: html.compile(compiledHtml, FILL_OPTIONS),
      // Plain text is not HTML: no entity escaping there.
      text: text.compile(fs.readFileSync(textFile, "utf8"), { ...FILL_OPTIONS, noEscape: true }),
    });
  }
  return {
    render(name, data) {
      const template = compiled.get(name);
      if (!template) throw new Error(`no email template "${name}"`);
      return { html: template.html(data), text: template.text(data) };
    },
  };
}

function templatesVersion(dir: string): string {
  const hash = createHash("sha256");
  for (const file of fs.readdirSync(dir).sort()) hash.update(file).update(fs.readFileSync(path.join(dir, file)));
  return hash.digest("hex").slice(0, 16);
}

/** MJML -> HTML (placeholders kept), from the cache when this version was compiled before. */
async function compileMjml(dir: string, file: string, cacheVersion: string | undefined): Promise<string> {
  const cached = cacheVersion && path.join(COMPILED_CACHE_DIR, `${cacheVersion}-${file}.html`);
  if (cached && fs.existsSync(cached)) return fs.readFileSync(cached, "utf8");
  const { default: mjml2html } = await import("mjml");
  const filePath = path.join(dir, file);
  // MJML 5 ignores mj-include unless allowed; allow it inside the templates folder only.
  const result = await mjml2html(fs.readFileSync(filePath, "utf8"), { filePath, validationLevel: "strict", keepComments: false, ignoreIncludes: false, includePath: dir });
  if (result.errors.length) throw new Error(`${file}: ${result.errors.map((e) => e.formattedMessage).join("; ")}`);
  if (cached) {
    try {
      fs.mkdirSync(COMPILED_CACHE_DIR, { recursive: true });
      fs.writeFileSync(`${cached}.${process.pid}`, result.html);
      fs.renameSync(`${cached}.${process.pid}`, cached); // atomic: concurrent processes never read half a file
    } catch {
      // A read-only disk only costs the compile at each start.
    }
  }
  return result.html;
}
