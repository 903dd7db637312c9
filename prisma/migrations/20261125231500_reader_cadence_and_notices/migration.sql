-- CreateEnum
CREATE TYPE "cadence" AS ENUM ('daily', 'weekly');

-- AlterTable
ALTER TABLE "subscribers" ADD COLUMN     "cadence" "cadence" NOT NULL DEFAULT 'daily',
ADD COLUMN     "no_match_notice_at" TIMESTAMP(3),
ADD COLUMN     "paused_until" TIMESTAMP(3),
ADD COLUMN     "weekday" INTEGER NOT NULL DEFAULT 1;
