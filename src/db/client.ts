// The Prisma client on the pg driver adapter (no native engine needed), over a pg pool that the busiest write path
// (a subscribe request) also uses directly: a Prisma interactive transaction costs about four times the CPU of the
// same statements on a pg client (measured: 0.85 against 0.2 ms per subscribe).
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { createPool, inPoolTransaction } from "./pool.ts";

export type Db = PrismaClient;

const pools = new WeakMap<Db, pg.Pool>();

export function createDb(connectionString: string, opts: { poolSize?: number } = {}): Db {
  const pool = createPool(connectionString, opts);
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

/** Runs `work` in a transaction on one of the client's pooled connections (see inPoolTransaction). */
export function inTransaction<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>, opts: { lock?: string } = {}): Promise<T> {
  return inPoolTransaction(poolOf(db), work, opts);
}
