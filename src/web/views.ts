// Server-rendered pages: Handlebars templates from templates/pages, compiled once, HTML-escaped by default.
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { PROJECT_ROOT } from "../config.ts";
import { formatDay, formatDayTime } from "../dates.ts";

export interface PageData {
  title: string;
  [key: string]: unknown;
}

export type Views = { render(name: string, data: PageData): string };

export function loadViews(dir = path.join(PROJECT_ROOT, "templates", "pages")): Views {
  const hbs = Handlebars.create();
  hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  hbs.registerHelper("includes", (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item));
  hbs.registerHelper("join", (list: unknown) => (Array.isArray(list) ? list.join(", ") : ""));
  // One date style on every page (src/dates.ts).
  hbs.registerHelper("day", (d: unknown) => (d instanceof Date ? formatDay(d) : ""));
  hbs.registerHelper("dayTime", (d: unknown, zone: unknown) => (d instanceof Date ? formatDayTime(d, typeof zone === "string" ? zone : "UTC") : ""));
  const pages = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith(".hbs")) continue;
    const name = file.slice(0, -4);
    const source = fs.readFileSync(path.join(dir, file), "utf8");
    if (name.startsWith("_")) hbs.registerPartial(name.slice(1), source);
    else pages.set(name, hbs.compile(source, { strict: false }));
  }
  const layout = pages.get("layout");
  if (!layout) throw new Error(`templates/pages/layout.hbs is missing`);
  return {
    render(name, data) {
      const page = pages.get(name);
      if (!page) throw new Error(`no page template "${name}"`);
      return layout({ ...data, body: page(data) });
    },
  };
}
