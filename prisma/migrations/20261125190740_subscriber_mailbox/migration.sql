-- AlterTable
ALTER TABLE "subscribers" ADD COLUMN     "mailbox" TEXT;

-- CreateIndex
CREATE INDEX "subscribers_mailbox_idx" ON "subscribers"("mailbox");

-- Backfill (hand-written): the same rules as canonicalMailbox() in src/subscriptions/mailbox.ts.
UPDATE "subscribers" SET "mailbox" = CASE
  WHEN split_part(lower("email"), '@', 2) IN ('gmail.com', 'googlemail.com')
    THEN replace(split_part(split_part(lower("email"), '@', 1), '+', 1), '.', '') || '@gmail.com'
  ELSE split_part(split_part(lower("email"), '@', 1), '+', 1) || '@' || split_part(lower("email"), '@', 2)
END;
