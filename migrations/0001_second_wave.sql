CREATE TABLE `inbound_sms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`external_id` text,
	`from_addr` text NOT NULL,
	`to_addr` text NOT NULL,
	`text` text NOT NULL,
	`subscriber_id` integer,
	`route` text NOT NULL,
	`received_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_sms_source_ext_uq` ON `inbound_sms` (`source`,`external_id`);--> statement-breakpoint
CREATE INDEX `inbound_sms_from_idx` ON `inbound_sms` (`from_addr`,`created_at`);--> statement-breakpoint
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
CREATE TABLE `crm_discovery_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`language` text NOT NULL,
	`cohort` text NOT NULL,
	`sought_flow_id` text NOT NULL,
	`node_id` text NOT NULL,
	`episodes` integer DEFAULT 0 NOT NULL,
	`first_go` integer DEFAULT 0 NOT NULL,
	`retried` integer DEFAULT 0 NOT NULL,
	`not_found` integer DEFAULT 0 NOT NULL,
	`any_first_go` integer DEFAULT 0 NOT NULL,
	`sessions` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`, `language`, `cohort`, `sought_flow_id`, `node_id`)
);
--> statement-breakpoint
CREATE TABLE `crm_discovery_profile_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`field` text NOT NULL,
	`value` text NOT NULL,
	`episodes` integer DEFAULT 0 NOT NULL,
	`first_go` integer DEFAULT 0 NOT NULL,
	`retried` integer DEFAULT 0 NOT NULL,
	`not_found` integer DEFAULT 0 NOT NULL,
	`any_first_go` integer DEFAULT 0 NOT NULL,
	`sessions` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`, `field`, `value`)
);
--> statement-breakpoint
CREATE INDEX `crm_discovery_profile_field_day` ON `crm_discovery_profile_daily` (`field`,`day`);--> statement-breakpoint
CREATE TABLE `crm_open_episodes` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`last_at` integer NOT NULL,
	`acc` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `crm_risk_rankings` (
	`kind` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`service_id` text NOT NULL,
	`state` text NOT NULL,
	`p_alive` real,
	`last_active_day` integer,
	`active_days` integer DEFAULT 0 NOT NULL,
	`renew_probability` real NOT NULL,
	`renewals` integer DEFAULT 0 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`recent_failed_charges` integer DEFAULT 0 NOT NULL,
	`residual_periods` real NOT NULL,
	`residual_value` real NOT NULL,
	`risk` real NOT NULL,
	`value_at_risk` real NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `subscriber_id`, `service_id`)
);
--> statement-breakpoint
CREATE INDEX `crm_risk_rankings_value_idx` ON `crm_risk_rankings` (`kind`,`value_at_risk`);--> statement-breakpoint
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
--> statement-breakpoint
DROP TABLE `crm_risk`;--> statement-breakpoint
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
ALTER TABLE `crm_fits` ADD `quality` text DEFAULT '{}' NOT NULL;