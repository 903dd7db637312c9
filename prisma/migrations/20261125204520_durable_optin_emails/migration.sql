-- AlterTable
ALTER TABLE "confirmation_tokens" ADD COLUMN     "attempted_at" TIMESTAMP(3),
ADD COLUMN     "attempts" SMALLINT NOT NULL DEFAULT 0,
ADD COLUMN     "salt" TEXT,
ADD COLUMN     "sent_at" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "confirmation_tokens_sent_at_idx" ON "confirmation_tokens"("sent_at");

-- Rows written before the outbox existed were sent when they were written (or lost with their process): none is
-- sent again.
UPDATE "confirmation_tokens" SET "sent_at" = "created_at" WHERE "sent_at" IS NULL;
