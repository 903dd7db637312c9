-- AlterEnum
ALTER TYPE "digest_status" ADD VALUE 'sending';

-- AlterTable
ALTER TABLE "digests" ADD COLUMN     "claimed_at" TIMESTAMP(3);
