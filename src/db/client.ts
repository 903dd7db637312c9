// The Prisma client on the pg driver adapter (no native engine needed).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient;

export function createDb(connectionString: string, opts: { poolSize?: number } = {}): Db {
  // A server that stops answering (no refusal) must fail queries after a while, not hold every request forever.
  const adapter = new PrismaPg({ connectionString, max: opts.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
  return new PrismaClient({ adapter });
}
