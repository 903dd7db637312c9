// A cookie-keeping HTTP client for form flows (what a browser without JavaScript does).
export class FormClient {
  private cookies = new Map<string, string>();
  constructor(private readonly baseUrl: string) {}

  async get(path: string) {
    const res = await fetch(this.url(path), { headers: this.cookieHeader(), redirect: "manual" });
    this.keepCookies(res);
    return { status: res.status, html: await res.text(), headers: res.headers };
  }

  /** Posts a form; `fields` values that are arrays become repeated fields (checkboxes). */
  async post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    const res = await fetch(this.url(path), {
      method: "POST",
      headers: { ...this.cookieHeader(), "content-type": "application/x-www-form-urlencoded", ...headers },
      body,
      redirect: "manual",
    });
    this.keepCookies(res);
    return { status: res.status, html: await res.text(), headers: res.headers };
  }

  /** Gets the page, then posts its form with the page's CSRF token. */
  async submit(pagePath: string, action: string, fields: Record<string, string | string[]>) {
    const page = await this.get(pagePath);
    return this.post(action, { _csrf: csrfTokenIn(page.html), ...fields });
  }

  private url(path: string) {
    return path.startsWith("http") ? path : `${this.baseUrl}${path}`;
  }
  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {};
  }
  private keepCookies(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }
}

export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no CSRF token in page");
  return match[1]!;
}

export async function postJson(url: string, body: unknown) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}
