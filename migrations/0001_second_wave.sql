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
DROP TABLE `crm_risk`;--> statement-breakpoint
ALTER TABLE `crm_fits` ADD `quality` text DEFAULT '{}' NOT NULL;