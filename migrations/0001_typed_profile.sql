PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_subscribers` (
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
	`last_seen_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_subscribers`("id", "msisdn", "language", "region", "crop", "operator", "profile", "opted_out", "opted_out_at", "first_seen_at", "last_seen_at", "updated_at") SELECT "id", "msisdn", "language", "region", "crop", "operator", "profile", "opted_out", "opted_out_at", "first_seen_at", "last_seen_at", "updated_at" FROM `subscribers`;--> statement-breakpoint
DROP TABLE `subscribers`;--> statement-breakpoint
ALTER TABLE `__new_subscribers` RENAME TO `subscribers`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_msisdn_uq` ON `subscribers` (`msisdn`);--> statement-breakpoint
CREATE INDEX `subscribers_last_seen_idx` ON `subscribers` (`last_seen_at`);--> statement-breakpoint
CREATE INDEX `usage_events_start_idx` ON `usage_events` (`at`,`subscriber_id`,`channel`,`flow_id`) WHERE type = 'session_start';--> statement-breakpoint
CREATE INDEX `usage_events_content_idx` ON `usage_events` (`at`,`subscriber_id`,`channel`,`flow_id`,`node_id`,`session_id`) WHERE type = 'content';