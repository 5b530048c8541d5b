CREATE TABLE `exit_reasons_daily` (
	`day` integer NOT NULL,
	`dim` text NOT NULL,
	`value` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`not_asked` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`dim`, `day`, `value`, `status`, `reason`, `not_asked`)
);
--> statement-breakpoint
CREATE TABLE `exit_surveys` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer NOT NULL,
	`service_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`run_started_at` integer NOT NULL,
	`exit_at` integer NOT NULL,
	`exit_channel` text NOT NULL,
	`status` text NOT NULL,
	`not_asked_reason` text,
	`asked_channel` text,
	`asked_at` integer,
	`window_ends_at` integer,
	`message_id` text,
	`answered_at` integer,
	`reason` text,
	`free_text` text,
	`tenure_days` integer,
	`region` text,
	`cohort` text,
	`language` text,
	`finding_id` text,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `exit_surveys_run_uq` ON `exit_surveys` (`subscription_id`,`run_started_at`);--> statement-breakpoint
CREATE INDEX `exit_surveys_subscriber_idx` ON `exit_surveys` (`subscriber_id`,`asked_at`);--> statement-breakpoint
CREATE INDEX `exit_surveys_exit_at_idx` ON `exit_surveys` (`exit_at`);--> statement-breakpoint
CREATE INDEX `exit_surveys_window_idx` ON `exit_surveys` (`window_ends_at`);--> statement-breakpoint
CREATE INDEX `exit_surveys_free_text_idx` ON `exit_surveys` (`answered_at`) WHERE free_text IS NOT NULL;