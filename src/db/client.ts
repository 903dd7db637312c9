// The Prisma client on the pg driver adapter (no native engine needed), over a pg pool that the busiest write path
// (a subscribe request) also uses directly: a Prisma interactive transaction costs about four times the CPU of the
// same statements on a pg client (measured: 0.85 against 0.2 ms per subscribe).
import { PrismaPg } from "@prisma/adapter-pg";
import { createHash } from "node:crypto";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient;

const pools = new WeakMap<Db, pg.Pool>();

export function createDb(connectionString: string, opts: { poolSize?: number } = {}): Db {
  // A server that stops answering (no refusal) must fail queries after a while, not hold every request forever.
  const pool = new pg.Pool({ connectionString, max: opts.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

/** The pg pool under a client made by createDb (closed with it by `$disconnect`). */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("poolOf: this Prisma client was not made by createDb");
  return pool;
}

/**
 * Runs `work` in a transaction on one pooled connection: committed if it returns, rolled back if it throws. With
 * `lock`, the transaction first takes an advisory lock on that name (held until it ends), in the same round trip as
 * BEGIN. Names hash into the two-key lock space (namespace 1), apart from the one-key locks used elsewhere.
 */
export async function inTransaction<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>, opts: { lock?: string } = {}): Promise<T> {
  const client = await poolOf(db).connect();
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
