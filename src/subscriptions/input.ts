// One zod schema per input, shared by the JSON API and the HTML forms. Parse at the edge; inside, trust the types.
import { z } from "zod";
import { AppError, type FieldError } from "../errors.ts";
import { hasUnsafeChars } from "../text-safety.ts";
import { canonicalTimeZone } from "./time-zones.ts";

export const MAX_KEYWORDS = 10;
export const MIN_PAPERS = 3;
/** Papers per email, by cadence. */
export const MAX_PAPERS = { daily: 10, weekly: 20 } as const;
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
  maxPapers: wholeNumber(MIN_PAPERS, MAX_PAPERS.weekly, `a whole number from ${MIN_PAPERS} to ${MAX_PAPERS.daily} (${MAX_PAPERS.weekly} for a weekly email)`).default(5),
  cadence: z.enum(["daily", "weekly"], { error: "daily or weekly" }).default("daily"),
  weekday: wholeNumber(1, 7, "a weekday from 1 (Monday) to 7 (Sunday)").default(1),
};

function wholeNumber(min: number, max: number, message: string) {
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
}

/** Topics or keywords: an email needs something to match on. */
const somethingToMatch = (v: { topics: string[]; keywords: string[] }) => v.topics.length > 0 || v.keywords.length > 0;
/** A daily email holds at most 10 papers; a weekly one, the week's best, up to 20. */
const fitsCadence = (v: { cadence: "daily" | "weekly"; maxPapers: number }) => v.maxPapers <= MAX_PAPERS[v.cadence];
const cadenceMessage = { message: `at most ${MAX_PAPERS.daily} papers in a daily email (up to ${MAX_PAPERS.weekly} in a weekly one)`, path: ["maxPapers"] };

export const subscriptionInput = z
  .object({ email, ...preferenceFields })
  .refine(somethingToMatch, { message: "choose at least one topic or keyword", path: ["topics"] })
  .refine(fitsCadence, cadenceMessage);
export const preferencesInput = z
  .object(preferenceFields)
  .refine(somethingToMatch, { message: "choose at least one topic or keyword", path: ["topics"] })
  .refine(fitsCadence, cadenceMessage);

const commaList = (error: string) => z.union([z.string(), z.array(z.string())], { error }).transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")));

/**
 * `?q=speculative decoding,LoRA&topics=reasoning,agents` (or repeated q / topics): the keywords whose understanding a
 * form shows as the reader types, and the topics counted with them. One of the two is needed.
 */
export const keywordPreviewInput = z
  .object({
    q: commaList("one or more keywords").pipe(keywords).optional(),
    topics: commaList("one or more topic slugs").transform((list) => list.filter((t) => t !== "")).pipe(topics).optional(),
  })
  .refine((v) => (v.q?.length ?? 0) + (v.topics?.length ?? 0) > 0, { message: "give keywords (q) or topics", path: ["q"] });

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
    cadence: blankToUndefined(body.cadence),
    weekday: formNumber(body.weekday),
  };
}

/** A form's plain decimal digits as a number; anything else ("0x7", "1e1", " 7", "") is left for the schema to reject. */
function formNumber(value: unknown): unknown {
  return typeof value === "string" && /^[0-9]{1,4}$/.test(value) ? Number(value) : value;
}
