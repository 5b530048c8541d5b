CREATE TABLE `campaign_assignments` (
	`campaign_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`arm` text NOT NULL,
	`run_id` integer NOT NULL,
	`channel` text NOT NULL,
	`ref` text,
	`assigned_at` integer NOT NULL,
	`converted_at` integer,
	PRIMARY KEY(`campaign_id`, `subscriber_id`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaign_assignments_arm_idx` ON `campaign_assignments` (`campaign_id`,`arm`,`converted_at`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `arms` text;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `holdout_percent` integer;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `goal` text;