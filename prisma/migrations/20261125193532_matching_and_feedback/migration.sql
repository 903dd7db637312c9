-- AlterTable
ALTER TABLE "digest_items" ADD COLUMN     "reasons" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "topics" DROP COLUMN "query";

-- CreateTable
CREATE TABLE "matching_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "vocabulary_version" TEXT NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "refreshed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "matching_state_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "paper_index" (
    "paper_id" INTEGER NOT NULL,
    "vocabulary_version" TEXT NOT NULL,
    "text_hash" TEXT NOT NULL,
    "ml_evidence" DOUBLE PRECISION NOT NULL,
    "other_evidence" DOUBLE PRECISION NOT NULL,
    "ml_concepts" INTEGER NOT NULL,
    "indexed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "paper_index_pkey" PRIMARY KEY ("paper_id")
);

-- CreateTable
CREATE TABLE "paper_concepts" (
    "paper_id" INTEGER NOT NULL,
    "concept_id" TEXT NOT NULL,
    "title_hits" INTEGER NOT NULL,
    "lead_hits" INTEGER NOT NULL,
    "body_hits" INTEGER NOT NULL,
    "surface" TEXT NOT NULL,

    CONSTRAINT "paper_concepts_pkey" PRIMARY KEY ("paper_id","concept_id")
);

-- CreateTable
CREATE TABLE "paper_terms" (
    "paper_id" INTEGER NOT NULL,
    "term" TEXT NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "paper_terms_pkey" PRIMARY KEY ("paper_id","term")
);

-- CreateTable
CREATE TABLE "term_stats" (
    "term" TEXT NOT NULL,
    "documents" INTEGER NOT NULL,
    "word" TEXT NOT NULL,

    CONSTRAINT "term_stats_pkey" PRIMARY KEY ("term")
);

-- CreateTable
CREATE TABLE "topic_concepts" (
    "topic_id" INTEGER NOT NULL,
    "concept_id" TEXT NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL,
    "excluded" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "topic_concepts_pkey" PRIMARY KEY ("topic_id","concept_id")
);

-- CreateTable
CREATE TABLE "topic_papers" (
    "topic_id" INTEGER NOT NULL,
    "paper_id" INTEGER NOT NULL,
    "relevance" DOUBLE PRECISION NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "topic_papers_pkey" PRIMARY KEY ("topic_id","paper_id")
);

-- CreateTable
CREATE TABLE "topic_expansions" (
    "topic_id" INTEGER NOT NULL,
    "term" TEXT NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "topic_expansions_pkey" PRIMARY KEY ("topic_id","term")
);

-- CreateTable
CREATE TABLE "keyword_queries" (
    "keyword" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "concept_ids" TEXT[],
    "expansion" TEXT[],

    CONSTRAINT "keyword_queries_pkey" PRIMARY KEY ("keyword")
);

-- CreateTable
CREATE TABLE "keyword_papers" (
    "keyword" TEXT NOT NULL,
    "paper_id" INTEGER NOT NULL,
    "relevance" DOUBLE PRECISION NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "keyword_papers_pkey" PRIMARY KEY ("keyword","paper_id")
);

-- CreateTable
CREATE TABLE "feedback" (
    "subscriber_id" UUID NOT NULL,
    "paper_id" INTEGER NOT NULL,
    "value" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "feedback_pkey" PRIMARY KEY ("subscriber_id","paper_id")
);

-- CreateTable
CREATE TABLE "reader_profile_terms" (
    "subscriber_id" UUID NOT NULL,
    "term" TEXT NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "reader_profile_terms_pkey" PRIMARY KEY ("subscriber_id","term")
);

-- CreateIndex
CREATE INDEX "paper_concepts_concept_id_idx" ON "paper_concepts"("concept_id");

-- CreateIndex
CREATE INDEX "paper_terms_term_idx" ON "paper_terms"("term");

-- CreateIndex
CREATE INDEX "topic_papers_paper_id_idx" ON "topic_papers"("paper_id");

-- AddForeignKey
ALTER TABLE "paper_index" ADD CONSTRAINT "paper_index_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "paper_concepts" ADD CONSTRAINT "paper_concepts_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "paper_terms" ADD CONSTRAINT "paper_terms_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_concepts" ADD CONSTRAINT "topic_concepts_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_papers" ADD CONSTRAINT "topic_papers_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_papers" ADD CONSTRAINT "topic_papers_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_expansions" ADD CONSTRAINT "topic_expansions_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "keyword_papers" ADD CONSTRAINT "keyword_papers_keyword_fkey" FOREIGN KEY ("keyword") REFERENCES "keyword_queries"("keyword") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "keyword_papers" ADD CONSTRAINT "keyword_papers_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reader_profile_terms" ADD CONSTRAINT "reader_profile_terms_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
