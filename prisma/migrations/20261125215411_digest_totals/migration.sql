-- CreateTable
CREATE TABLE "digest_totals" (
    "event" TEXT NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "digest_totals_pkey" PRIMARY KEY ("event")
);
