// Why a paper is in a digest (the reader's topics and keywords it matched, and the quoted evidence), stored once in
// digest_evidence and referenced by every digest item that says the same. A planning run numbers the evidence it meets
// in memory and learns the database ids of the ones its digests use, a batch at a time.
import { createHash } from "node:crypto";

export interface Evidence {
  paperId: number;
  topics: readonly string[];
  keywords: readonly string[];
  reasons: readonly string[];
}

/**
 * The content as one string: paper id, topics, keywords, reasons, separated by U+001E and each list joined by U+001D.
 * Only the reasons can hold U+001E (topics/reasons.ts), and they come last, so different evidence never gives the same
 * key. The migration that created digest_evidence computes the same in SQL.
 */
export function evidenceKey(e: Evidence): string {
  return `${e.paperId}\u001e${e.topics.join("\u001d")}\u001e${e.keywords.join("\u001d")}\u001e${e.reasons.join("\u001d")}`;
}

export function evidenceFingerprint(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** A run's evidence: each distinct one gets a small number, and later its database id. */
export class EvidenceTable {
  private readonly numbers = new Map<string, number>();
  private readonly entries: Evidence[] = [];
  private readonly keys: string[] = [];
  private readonly dbIds: (number | undefined)[] = [];

  /** The run's number for this evidence (the same for the same content). */
  numberOf(e: Evidence): number {
    const key = evidenceKey(e);
    let n = this.numbers.get(key);
    if (n === undefined) {
      n = this.entries.length;
      this.numbers.set(key, n);
      this.entries.push({ paperId: e.paperId, topics: e.topics, keywords: e.keywords, reasons: e.reasons });
      this.keys.push(key);
      this.dbIds.push(undefined);
    }
    return n;
  }

  get(n: number): Evidence {
    return this.entries[n]!;
  }

  /** Of these numbers, the evidence without a database id yet, with its fingerprint. */
  unstored(numbers: Iterable<number>): { n: number; fingerprint: string; evidence: Evidence }[] {
    const out = new Map<number, { n: number; fingerprint: string; evidence: Evidence }>();
    for (const n of numbers) {
      if (this.dbIds[n] === undefined && !out.has(n)) out.set(n, { n, fingerprint: evidenceFingerprint(this.keys[n]!), evidence: this.entries[n]! });
    }
    return [...out.values()];
  }

  setDbId(n: number, id: number) {
    this.dbIds[n] = id;
  }

  dbId(n: number): number {
    const id = this.dbIds[n];
    if (id === undefined) throw new Error(`evidence ${n} has no database id yet`);
    return id;
  }
}
