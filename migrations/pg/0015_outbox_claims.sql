ALTER TABLE "messages" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "claim_expires_at" bigint;