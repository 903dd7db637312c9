// The pg side of the database, without Prisma: a pool and transactions on it. The lean planning process
// (src/digest/planner-process.ts) uses only this, so it never loads the Prisma client and its WASM query compiler
// (~70 MB of RSS); src/db/client.ts builds the Prisma client on the same kind of pool.
import { createHash } from "node:crypto";
import pg from "pg";

export function createPool(connectionString: string, opts: { poolSize?: number } = {}): pg.Pool {
  // A server that stops answering (no refusal) must fail queries after a while, not hold every request forever.
  return new pg.Pool({ connectionString, max: opts.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
}

/**
 * Runs `work` in a transaction on one pooled connection: committed if it returns, rolled back if it throws. With
 * `lock`, the transaction first takes an advisory lock on that name (held until it ends), in the same round trip as
 * BEGIN. Names hash into the two-key lock space (namespace 1), apart from the one-key locks used elsewhere.
 */
export async function inPoolTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, opts: { lock?: string } = {}): Promise<T> {
  const client = await pool.connect();
  let healthy = true;
  try {
    // Only a number computed here enters the text; the simple protocol takes both statements in one message.
    await client.query(opts.lock === undefined ? "BEGIN" : `BEGIN; SELECT pg_advisory_xact_lock(1, ${lockKey(opts.lock)})`);
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {
      healthy = false; // a connection that cannot roll back is not given to the next request
    });
    throw err;
  } finally {
    client.release(healthy ? undefined : true);
  }
}

/** A name's advisory-lock key: the first 32 bits of its SHA-256, as PostgreSQL's signed integer. */
export function lockKey(name: string): number {
  return createHash("sha256").update(name).digest().readInt32BE(0);
}
