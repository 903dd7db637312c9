// One zod schema per input, shared by the JSON API and the HTML forms. Parse at the edge; inside, trust the types.
import { z } from "zod";
import { AppError, type FieldError } from "../errors.ts";
import { hasUnsafeChars } from "../text-safety.ts";

export const MAX_KEYWORDS = 10;
export const MAX_KEYWORD_LENGTH = 60;

/**
 * Trim, reject control and text-direction characters (header injection, spoofing), check RFC 5321 lengths and DNS
 * label syntax, lower-case the domain; the local part keeps its case (the address is stored and mailed as typed).
 */
const email = z
  .string({ error: "required" })
  .max(254, "at most 254 characters")
  .refine((v) => !hasUnsafeChars(v), "must not contain line breaks, control or text-direction characters")
  .transform((v) => v.trim())
  .pipe(z.email("not a valid email address"))
  .superRefine((address, ctx) => {
    const problem = addressProblem(address);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform(normalizeEmail);

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** What RFC 5321 (lengths) and RFC 1035 (host names) say is wrong with an address that looks like one, if anything. */
function addressProblem(address: string): string | undefined {
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return "the part before @ may have at most 64 characters";
  if (domain.length > 253) return "the domain may have at most 253 characters";
  const labels = domain.split(".");
  if (labels.some((label) => label.length > 63)) return "each part of the domain may have at most 63 characters";
  if (!labels.every((label) => DNS_LABEL.test(label))) return "the domain has an invalid part (letters, digits and inner dashes only)";
  if (/^\d+$/.test(labels.at(-1)!)) return "the domain needs a top-level domain of letters";
  return undefined;
}

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
// Building an Intl.DateTimeFormat costs ~0.3 ms, the most expensive step of a subscribe request: remember answers.
// Only spellings of real zones are kept, and at most ZONE_CACHE_SIZE of them (other capitalisations are valid too).
const ZONE_CACHE_SIZE = 2000;
const zoneAnswers = new Map<string, string>();

export function canonicalTimeZone(zone: string): string | undefined {
  const known = zoneAnswers.get(zone);
  if (known) return known;
  const canonical = resolveTimeZone(zone);
  if (canonical && zoneAnswers.size < ZONE_CACHE_SIZE) zoneAnswers.set(zone, canonical);
  return canonical;
}

function resolveTimeZone(zone: string): string | undefined {
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
  .refine((v) => !hasUnsafeChars(v), "must not contain control or text-direction characters")
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
  // JSON numbers only: null, booleans, arrays and strings such as "0x7" or "1e1" are errors, not coerced (null once
  // became midnight). HTML forms send decimal strings; formToInput turns those into numbers first.
  sendHour: wholeNumber(0, 23, "a whole hour from 0 to 23").default(7),
  maxPapers: wholeNumber(3, 10, "a whole number from 3 to 10").default(5),
};

function wholeNumber(min: number, max: number, message: string) {
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
}

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
    sendHour: formNumber(body.sendHour),
    maxPapers: formNumber(body.maxPapers),
  };
}

/** A form's plain decimal digits as a number; anything else ("0x7", "1e1", " 7", "") is left for the schema to reject. */
function formNumber(value: unknown): unknown {
  return typeof value === "string" && /^[0-9]{1,4}$/.test(value) ? Number(value) : value;
}
