-- AlterTable
ALTER TABLE "digests" ADD COLUMN     "claim_token" UUID,
ADD COLUMN     "recipient_refusals" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "retry_at" TIMESTAMP(3);
