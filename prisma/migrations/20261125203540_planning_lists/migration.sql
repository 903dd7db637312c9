-- DropForeignKey
ALTER TABLE "digest_items" DROP CONSTRAINT "digest_items_subscriber_id_fkey";

-- CreateTable
-- UNLOGGED (written by hand): scratch lists of one planning run, deleted when it ends, without WAL: a crash that
-- empties the table only makes the next run rank again.
CREATE UNLOGGED TABLE "plan_candidates" (
    "run_id" UUID NOT NULL,
    "list_id" INTEGER NOT NULL,
    "pos" INTEGER NOT NULL,
    "paper_id" INTEGER NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "topics" TEXT NOT NULL,
    "keywords" TEXT NOT NULL,
    "reasons" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "plan_candidates_pkey" PRIMARY KEY ("run_id","list_id","pos")
);
