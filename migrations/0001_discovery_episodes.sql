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
