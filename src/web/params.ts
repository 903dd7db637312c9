// Numbers in URLs: only the canonical decimal spelling names a resource. "1.0", "0x1", "+1", "01" or "1e0" would
// each be another URL for the same page (z.coerce accepted them all), which caches and logs should never see.
import { z } from "zod";

const MAX_INT4 = 2_147_483_647;

/** A positive integer written as plain decimal digits without a leading zero, up to PostgreSQL's int4 maximum. */
export const canonicalId = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/)
  .transform(Number)
  .refine((n) => n <= MAX_INT4);
