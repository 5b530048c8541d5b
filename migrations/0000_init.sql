CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`external_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`flow_id` text NOT NULL,
	`service_code` text,
	`state` text NOT NULL,
	`status` text NOT NULL,
	`end_reason` text,
	`hops` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`last_activity_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_channel_external_uq` ON `sessions` (`channel`,`external_id`);--> statement-breakpoint
CREATE INDEX `sessions_subscriber_idx` ON `sessions` (`subscriber_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `sessions_active_idx` ON `sessions` (`status`,`last_activity_at`);--> statement-breakpoint
CREATE TABLE `subscribers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`msisdn` text NOT NULL,
	`language` text,
	`region` text,
	`crop` text,
	`operator` text,
	`profile` text DEFAULT '{}' NOT NULL,
	`opted_out` integer DEFAULT false NOT NULL,
	`opted_out_at` integer,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_msisdn_uq` ON `subscribers` (`msisdn`);--> statement-breakpoint
CREATE INDEX `subscribers_last_seen_idx` ON `subscribers` (`last_seen_at`);--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`channel` text NOT NULL,
	`type` text NOT NULL,
	`session_id` text,
	`flow_id` text,
	`node_id` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `usage_events_subscriber_idx` ON `usage_events` (`subscriber_id`,`id`);--> statement-breakpoint
CREATE INDEX `usage_events_at_idx` ON `usage_events` (`at`);