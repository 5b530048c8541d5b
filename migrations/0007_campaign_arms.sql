CREATE TABLE `campaign_assignments` (
	`campaign_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`arm` text NOT NULL,
	`run_id` integer NOT NULL,
	`channel` text NOT NULL,
	`ref` text,
	`assigned_at` integer NOT NULL,
	`converted_at` integer,
	`reached_at` integer,
	`cost_minor` integer DEFAULT 0 NOT NULL,
	`settled` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`campaign_id`, `subscriber_id`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaign_assignments_arm_idx` ON `campaign_assignments` (`campaign_id`,`arm`,`converted_at`,`reached_at`,`cost_minor`,`assigned_at`);--> statement-breakpoint
CREATE INDEX `campaign_assignments_unsettled_idx` ON `campaign_assignments` (`campaign_id`) WHERE settled = false;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `arms` text;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `holdout_percent` integer;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `goal` text;