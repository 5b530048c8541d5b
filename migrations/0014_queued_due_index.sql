DROP INDEX `messages_due_idx`;--> statement-breakpoint
CREATE INDEX `messages_due_idx` ON `messages` (`operator`,`due_at`) WHERE status = 'queued';