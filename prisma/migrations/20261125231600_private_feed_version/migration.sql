-- AlterTable
ALTER TABLE "subscribers" ADD COLUMN     "feed_version" INTEGER NOT NULL DEFAULT 0;
