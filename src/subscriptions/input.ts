// One zod schema per input, shared by the JSON API and the HTML forms. Parse at the edge; inside, trust the types.
import { z } from "zod";
import { AppError, type FieldError } from "../errors.ts";

export const MAX_KEYWORDS = 10;
export const MAX_KEYWORD_LENGTH = 60;

/** Trim, reject control characters (header injection), lower-case the domain; the local part keeps its case. */
const email = z
  .string({ error: "required" })
  .max(254, "at most 254 characters")
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "must not contain line breaks or control characters")
  .transform((v) => v.trim())
  .pipe(z.email("not a valid email address"))
  .transform(normalizeEmail);

export function normalizeEmail(address: string): string {
  const at = address.lastIndexOf("@");
  return `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

const CANONICAL_ZONES = new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);

/**
 * The canonical IANA name of a zone ("US/Eastern" -> "America/New_York", "utc" -> "UTC"), or undefined. Only the
 * canonical list is accepted: PostgreSQL, which computes local hours, may not know an alias that Node's ICU does,
 * and the preference page lists canonical names only.
 */
export function canonicalTimeZone(zone: string): string | undefined {
  if (zone.length > 64) return undefined;
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    const name = resolved === "Etc/UTC" || resolved === "Etc/GMT" ? "UTC" : resolved;
    return CANONICAL_ZONES.has(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

const keyword = z
  .string()
  .transform((v) => v.replace(/\s+/g, " ").trim())
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "must not contain control characters")
  .refine((v) => v.length <= MAX_KEYWORD_LENGTH, `each keyword at most ${MAX_KEYWORD_LENGTH} characters`);

const keywords = z
  .array(keyword, { error: "a list of keywords" })
  .max(50, `at most ${MAX_KEYWORDS} keywords`)
  .transform((list) => [...new Set(list.filter((k) => k !== ""))])
  .refine((list) => list.length <= MAX_KEYWORDS, `at most ${MAX_KEYWORDS} keywords`)
  .refine((list) => list.every((k) => /[\p{L}\p{N}]/u.test(k)), "each keyword needs at least one letter or digit");

const topics = z
  .array(z.string().max(64).regex(/^[a-z0-9-]+$/, "topic slugs are lower-case words joined by dashes"), { error: "a list of topic slugs" })
  .max(50)
  .transform((list) => [...new Set(list)]);

const preferenceFields = {
  topics,
  keywords: keywords.default([]),
  timezone: z
    .string()
    .default("UTC")
    .transform((zone, ctx) => {
      const canonical = canonicalTimeZone(zone.trim());
      if (!canonical) ctx.addIssue({ code: "custom", message: "not a known IANA time zone, e.g. Europe/Berlin" });
      return canonical ?? zone;
    }),
  sendHour: z.coerce.number({ error: "a whole hour from 0 to 23" }).int("a whole hour from 0 to 23").min(0).max(23).default(7),
  maxPapers: z.coerce.number({ error: "a whole number from 3 to 10" }).int("a whole number from 3 to 10").min(3, "at least 3").max(10, "at most 10").default(5),
};

/** Topics or keywords: an email needs something to match on. */
const somethingToMatch = (v: { topics: string[]; keywords: string[] }) => v.topics.length > 0 || v.keywords.length > 0;

export const subscriptionInput = z.object({ email, ...preferenceFields }).refine(somethingToMatch, { message: "choose at least one topic or keyword", path: ["topics"] });
export const preferencesInput = z.object(preferenceFields).refine(somethingToMatch, { message: "choose at least one topic or keyword", path: ["topics"] });

/** `?q=speculative decoding,LoRA` (or repeated q): the keywords whose understanding a form shows as the reader types. */
export const keywordPreviewInput = z.object({
  q: z
    .union([z.string(), z.array(z.string())], { error: "one or more keywords" })
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")))
    .pipe(keywords),
});

export type SubscriptionInput = z.output<typeof subscriptionInput>;
export type PreferencesInput = z.output<typeof preferencesInput>;

/** Parses or throws a 400 AppError that names every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw invalidFields(result.error.issues.map((i) => ({ field: i.path.length ? i.path.map(String).join(".") : "body", message: i.message })));
}

export function invalidFields(fields: FieldError[]): AppError {
  const unique = fields.filter((f, i) => fields.findIndex((g) => g.field === f.field) === i);
  return new AppError("invalid_input", `Please check: ${unique.map((f) => `${f.field} (${f.message})`).join(", ")}`, unique);
}

/** HTML forms send keywords as one text field and single checkboxes as a string: shape them like the JSON API. */
export function formToInput(body: Record<string, unknown>) {
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
  return {
    email: body.email,
    topics: list(body.topics),
    keywords: typeof body.keywords === "string" ? body.keywords.split(/[,\n]/) : list(body.keywords),
    timezone: blankToUndefined(body.timezone),
    sendHour: blankToUndefined(body.sendHour),
    maxPapers: blankToUndefined(body.maxPapers),
  };
}
