DROP INDEX `sessions_active_idx`;--> statement-breakpoint
CREATE INDEX `sessions_active_idx` ON `sessions` (`status`,`started_at`);