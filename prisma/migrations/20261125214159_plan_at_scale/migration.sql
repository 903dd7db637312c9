-- Planning a million readers a day: digest items become narrow (why a paper is in a digest lives once in
-- digest_evidence, shared by every item with the same paper and reasons) and lose their per-row foreign keys (each
-- check cost more than the row: statement triggers do the cascades instead) and the index that served the one to
-- papers, and the planner's lists move into memory (plan_candidates goes).

-- CreateTable
CREATE TABLE "digest_evidence" (
    "id" SERIAL NOT NULL,
    "paper_id" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "topics" TEXT[],
    "keywords" TEXT[],
    "reasons" TEXT[],

    CONSTRAINT "digest_evidence_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "digest_evidence_fingerprint_key" ON "digest_evidence"("fingerprint");

-- AddForeignKey
ALTER TABLE "digest_evidence" ADD CONSTRAINT "digest_evidence_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing items keep their evidence. The fingerprint is what src/digest/evidence.ts computes: the SHA-256 of the
-- paper id, topics, keywords and reasons, separated by U+001E and joined by U+001D.
ALTER TABLE "digest_items" ADD COLUMN "evidence_id" INTEGER;

INSERT INTO "digest_evidence" ("paper_id", "fingerprint", "topics", "keywords", "reasons")
SELECT DISTINCT ON (f.fingerprint) i.paper_id, f.fingerprint, coalesce(i.matched_topics, '{}'), coalesce(i.matched_keywords, '{}'), coalesce(i.reasons, '{}')
FROM "digest_items" i
CROSS JOIN LATERAL (SELECT encode(sha256(convert_to(i.paper_id::text || chr(30) || array_to_string(coalesce(i.matched_topics, '{}'), chr(29)) || chr(30) ||
  array_to_string(coalesce(i.matched_keywords, '{}'), chr(29)) || chr(30) || array_to_string(coalesce(i.reasons, '{}'), chr(29)), 'UTF8')), 'hex') AS fingerprint) f;

UPDATE "digest_items" i SET "evidence_id" = e.id
FROM "digest_evidence" e
WHERE e.fingerprint = encode(sha256(convert_to(i.paper_id::text || chr(30) || array_to_string(coalesce(i.matched_topics, '{}'), chr(29)) || chr(30) ||
  array_to_string(coalesce(i.matched_keywords, '{}'), chr(29)) || chr(30) || array_to_string(coalesce(i.reasons, '{}'), chr(29)), 'UTF8')), 'hex');

-- DropForeignKey
ALTER TABLE "digest_items" DROP CONSTRAINT "digest_items_digest_id_fkey";

-- DropForeignKey
ALTER TABLE "digest_items" DROP CONSTRAINT "digest_items_paper_id_fkey";

-- DropIndex
DROP INDEX "digest_items_paper_id_idx";

-- AlterTable
ALTER TABLE "digest_items" DROP COLUMN "matched_keywords",
DROP COLUMN "matched_topics",
DROP COLUMN "reasons",
ALTER COLUMN "evidence_id" SET NOT NULL,
ALTER COLUMN "position" SET DATA TYPE SMALLINT;

-- Without the foreign keys, the items of deleted digests (a deleted subscriber's, by cascade) and of deleted papers go
-- by these triggers, once per statement.
CREATE FUNCTION "digest_items_of_deleted_digests"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "digest_items" WHERE "digest_id" IN (SELECT "id" FROM "deleted_digests");
  RETURN NULL;
END
$$;

CREATE TRIGGER "digest_items_of_deleted_digests" AFTER DELETE ON "digests"
REFERENCING OLD TABLE AS "deleted_digests" FOR EACH STATEMENT EXECUTE FUNCTION "digest_items_of_deleted_digests"();

CREATE FUNCTION "digest_items_of_deleted_papers"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "digest_items" WHERE "paper_id" IN (SELECT "id" FROM "deleted_papers");
  RETURN NULL;
END
$$;

CREATE TRIGGER "digest_items_of_deleted_papers" AFTER DELETE ON "papers"
REFERENCING OLD TABLE AS "deleted_papers" FOR EACH STATEMENT EXECUTE FUNCTION "digest_items_of_deleted_papers"();

-- DropTable
DROP TABLE "plan_candidates";
