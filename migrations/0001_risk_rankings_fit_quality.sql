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