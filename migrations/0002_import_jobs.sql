CREATE TABLE `import_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`phase` text NOT NULL,
	`source` text NOT NULL,
	`file_name` text,
	`bytes_total` integer NOT NULL,
	`rows_total` integer,
	`rows_done` integer DEFAULT 0 NOT NULL,
	`line_done` integer DEFAULT 1 NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`rejected` integer DEFAULT 0 NOT NULL,
	`rejections_truncated` integer DEFAULT false NOT NULL,
	`error_code` text,
	`error_message` text,
	`spool_path` text,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `import_jobs_status_idx` ON `import_jobs` (`status`);--> statement-breakpoint
CREATE TABLE `import_rejections` (
	`job_id` text NOT NULL,
	`line` integer NOT NULL,
	`msisdn` text,
	`reason` text NOT NULL,
	PRIMARY KEY(`job_id`, `line`)
);
