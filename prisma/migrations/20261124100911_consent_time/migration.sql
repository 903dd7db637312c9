-- AlterTable
ALTER TABLE "subscribers" ADD COLUMN     "subscribed_at" TIMESTAMP(3);
