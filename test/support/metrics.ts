// Reads a Prometheus scrape the way Prometheus does: one sample per line, `name{label="value",…} number`.
export interface Scrape {
  text: string;
  /** The sample's value, or undefined when the series is absent; labels must match exactly (order does not matter). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!] as const);
    samples.set(key(match[1]!, Object.fromEntries(labels)), Number(match[3]));
  }
  return { text, value: (name, labels = {}) => samples.get(key(name, labels)) };
}

function key(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(",")}}`;
}

export async function scrape(url: string, token?: string): Promise<Scrape> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return parseScrape(await res.text());
}
