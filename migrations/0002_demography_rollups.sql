CREATE TABLE `crm_content_profile_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`node_id` text NOT NULL,
	`field` text NOT NULL,
	`value` text NOT NULL,
	`visits` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`, `node_id`, `field`, `value`)
);
--> statement-breakpoint
CREATE INDEX `crm_content_profile_field_day` ON `crm_content_profile_daily` (`field`,`day`);--> statement-breakpoint
CREATE TABLE `crm_usage_profile_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`field` text NOT NULL,
	`value` text NOT NULL,
	`visits` integer DEFAULT 0 NOT NULL,
	`sessions` integer DEFAULT 0 NOT NULL,
	`content_sessions` integer DEFAULT 0 NOT NULL,
	`subscribers` blob NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`, `field`, `value`)
);
--> statement-breakpoint
CREATE INDEX `crm_usage_profile_field_day` ON `crm_usage_profile_daily` (`field`,`day`);--> statement-breakpoint
DROP INDEX `usage_events_start_idx`;--> statement-breakpoint
DROP INDEX `usage_events_content_idx`;