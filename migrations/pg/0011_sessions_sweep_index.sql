DROP INDEX "sessions_active_idx";--> statement-breakpoint
CREATE INDEX "sessions_active_idx" ON "sessions" USING btree ("status","started_at");