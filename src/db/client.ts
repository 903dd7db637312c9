// The Prisma client on the pg driver adapter (no native engine needed).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient;

export function createDb(connectionString: string, opts: { poolSize?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString, max: opts.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}
