-- CreateEnum
CREATE TYPE "source_run_status" AS ENUM ('running', 'ok', 'failed', 'skipped');

-- AlterTable
ALTER TABLE "papers" ADD COLUMN     "arxiv_id" TEXT,
ADD COLUMN     "authors" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "comments" INTEGER,
ADD COLUMN     "hf_url" TEXT,
ADD COLUMN     "metadata_source" TEXT NOT NULL DEFAULT 'folder',
ADD COLUMN     "project_url" TEXT,
ADD COLUMN     "published_at" TIMESTAMP(3),
ADD COLUMN     "seen_by" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "title_key" TEXT,
ADD COLUMN     "upvotes" INTEGER;

-- Written by hand: every paper stored so far came from a saved page, identified by its title hash.
UPDATE "papers" SET "title_key" = "key", "seen_by" = ARRAY['folder'];
ALTER TABLE "papers" ALTER COLUMN "title_key" SET NOT NULL;

-- CreateTable
CREATE TABLE "paper_signals" (
    "id" BIGSERIAL NOT NULL,
    "paper_id" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "observed_at" TIMESTAMP(3) NOT NULL,
    "upvotes" INTEGER NOT NULL,
    "comments" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "paper_signals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "source_runs" (
    "id" SERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),
    "status" "source_run_status" NOT NULL DEFAULT 'running',
    "detail" TEXT NOT NULL DEFAULT '',
    "added" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "signals" INTEGER NOT NULL DEFAULT 0,
    "warnings" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "source_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "http_validators" (
    "url" TEXT NOT NULL,
    "etag" TEXT,
    "last_modified" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "http_validators_pkey" PRIMARY KEY ("url")
);

-- CreateIndex
CREATE INDEX "paper_signals_paper_id_source_observed_at_idx" ON "paper_signals"("paper_id", "source", "observed_at");

-- CreateIndex
CREATE INDEX "source_runs_source_started_at_idx" ON "source_runs"("source", "started_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "papers_arxiv_id_key" ON "papers"("arxiv_id");

-- CreateIndex
CREATE INDEX "papers_title_key_idx" ON "papers"("title_key");

-- AddForeignKey
ALTER TABLE "paper_signals" ADD CONSTRAINT "paper_signals_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
