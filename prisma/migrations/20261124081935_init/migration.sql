-- CreateEnum
CREATE TYPE "subscriber_status" AS ENUM ('pending', 'active', 'paused', 'unsubscribed', 'bounced');

-- CreateEnum
CREATE TYPE "opt_in_email_kind" AS ENUM ('confirm', 'manage_link');

-- CreateEnum
CREATE TYPE "digest_status" AS ENUM ('planned', 'sent', 'skipped', 'failed');

-- CreateEnum
CREATE TYPE "suppression_reason" AS ENUM ('bounced', 'complained', 'manual');

-- CreateTable
CREATE TABLE "papers" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "display_title" TEXT NOT NULL,
    "abstract" TEXT NOT NULL,
    "links" TEXT[],
    "code_url" TEXT,
    "rank" INTEGER NOT NULL,
    "source_file" TEXT NOT NULL,
    "first_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    -- Hand-written: maintained by PostgreSQL itself (title weight A, abstract weight B) for full-text matching.
    "search_vector" tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, display_title), 'A'::"char") || setweight(to_tsvector('english'::regconfig, abstract), 'B'::"char")) STORED,

    CONSTRAINT "papers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "topics" (
    "id" SERIAL NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "query" TEXT NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "topics_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscribers" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "status" "subscriber_status" NOT NULL DEFAULT 'pending',
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "send_hour" INTEGER NOT NULL DEFAULT 7,
    "max_papers" INTEGER NOT NULL DEFAULT 5,
    "keywords" TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "subscribed_ip" TEXT,
    "confirmed_at" TIMESTAMP(3),
    "confirmed_ip" TEXT,
    "unsubscribed_at" TIMESTAMP(3),

    CONSTRAINT "subscribers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriber_topics" (
    "subscriber_id" UUID NOT NULL,
    "topic_id" INTEGER NOT NULL,

    CONSTRAINT "subscriber_topics_pkey" PRIMARY KEY ("subscriber_id","topic_id")
);

-- CreateTable
CREATE TABLE "confirmation_tokens" (
    "id" SERIAL NOT NULL,
    "subscriber_id" UUID NOT NULL,
    "kind" "opt_in_email_kind" NOT NULL DEFAULT 'confirm',
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),

    CONSTRAINT "confirmation_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "digests" (
    "id" UUID NOT NULL,
    "subscriber_id" UUID NOT NULL,
    "local_date" DATE NOT NULL,
    "status" "digest_status" NOT NULL DEFAULT 'planned',
    "subject" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "message_id" TEXT,
    "planned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "digests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "digest_items" (
    "digest_id" UUID NOT NULL,
    "subscriber_id" UUID NOT NULL,
    "paper_id" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "matched_topics" TEXT[],
    "matched_keywords" TEXT[],

    CONSTRAINT "digest_items_pkey" PRIMARY KEY ("digest_id","paper_id")
);

-- CreateTable
CREATE TABLE "suppressions" (
    "email" TEXT NOT NULL,
    "reason" "suppression_reason" NOT NULL,
    "detail" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "suppressions_pkey" PRIMARY KEY ("email")
);

-- CreateIndex
CREATE UNIQUE INDEX "papers_key_key" ON "papers"("key");

-- CreateIndex
CREATE INDEX "papers_first_seen_at_rank_idx" ON "papers"("first_seen_at" DESC, "rank");

-- CreateIndex
CREATE INDEX "papers_search_vector_idx" ON "papers" USING GIN ("search_vector");

-- CreateIndex
CREATE UNIQUE INDEX "topics_slug_key" ON "topics"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "subscribers_email_key" ON "subscribers"("email");

-- CreateIndex
CREATE INDEX "subscribers_status_send_hour_idx" ON "subscribers"("status", "send_hour");

-- CreateIndex
CREATE INDEX "subscriber_topics_topic_id_idx" ON "subscriber_topics"("topic_id");

-- CreateIndex
CREATE UNIQUE INDEX "confirmation_tokens_token_hash_key" ON "confirmation_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "confirmation_tokens_subscriber_id_created_at_idx" ON "confirmation_tokens"("subscriber_id", "created_at");

-- CreateIndex
CREATE INDEX "digests_status_local_date_idx" ON "digests"("status", "local_date");

-- CreateIndex
CREATE UNIQUE INDEX "digests_subscriber_id_local_date_key" ON "digests"("subscriber_id", "local_date");

-- CreateIndex
CREATE INDEX "digest_items_paper_id_idx" ON "digest_items"("paper_id");

-- CreateIndex
CREATE UNIQUE INDEX "digest_items_subscriber_id_paper_id_key" ON "digest_items"("subscriber_id", "paper_id");

-- AddForeignKey
ALTER TABLE "subscriber_topics" ADD CONSTRAINT "subscriber_topics_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriber_topics" ADD CONSTRAINT "subscriber_topics_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "confirmation_tokens" ADD CONSTRAINT "confirmation_tokens_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "digests" ADD CONSTRAINT "digests_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "digest_items" ADD CONSTRAINT "digest_items_digest_id_fkey" FOREIGN KEY ("digest_id") REFERENCES "digests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "digest_items" ADD CONSTRAINT "digest_items_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "digest_items" ADD CONSTRAINT "digest_items_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
