-- Planning a million readers a day, continued: a digest's papers move into its own row (paper_ids, evidence_ids in
-- email order) and digest_items goes. Its insert of ~5.6 rows and ~11 index entries per reader was two thirds of
-- planning's PostgreSQL time. "No paper twice to a reader" is kept by the planner, which locks the reader's row and
-- reads the papers of the reader's recent digests in the transaction that inserts the new one (src/digest/plan.ts).

-- AlterTable
ALTER TABLE "digests" ADD COLUMN     "evidence_ids" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
ADD COLUMN     "paper_ids" INTEGER[] DEFAULT ARRAY[]::INTEGER[];

-- Existing digests keep their papers, in position order.
UPDATE "digests" d SET "paper_ids" = i."paper_ids", "evidence_ids" = i."evidence_ids"
FROM (SELECT "digest_id", array_agg("paper_id" ORDER BY "position") AS "paper_ids", array_agg("evidence_id" ORDER BY "position") AS "evidence_ids"
      FROM "digest_items" GROUP BY "digest_id") i
WHERE i."digest_id" = d."id";

-- The cascades the statement triggers did now come with the row (a deleted digest takes its papers along; a deleted
-- paper's id stays in old digests and is left out when they are shown).
DROP TRIGGER "digest_items_of_deleted_digests" ON "digests";
DROP FUNCTION "digest_items_of_deleted_digests"();
DROP TRIGGER "digest_items_of_deleted_papers" ON "papers";
DROP FUNCTION "digest_items_of_deleted_papers"();

-- DropTable
DROP TABLE "digest_items";

-- Written by hand (Prisma's schema cannot state a partial index): digests planned for a date more than a day before
-- the day they were planned (`digest run --date` of a past date). The planner reads a reader's history from the
-- (subscriber_id, local_date) index from a date on (see loadSentPapers); such digests are found here instead, so a
-- past date cannot hide a paper from that check. Normally empty.
CREATE INDEX "digests_backdated_idx" ON "digests"("subscriber_id") WHERE "local_date" < ("planned_at"::date - 1);
