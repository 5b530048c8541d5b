CREATE TABLE `crm_intervention_tiers` (
	`intervention_id` text PRIMARY KEY NOT NULL,
	`tier` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `crm_intervention_tiers_at_idx` ON `crm_intervention_tiers` (`at`);--> statement-breakpoint
CREATE TABLE `crm_tier_exits` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscriber_id` integer NOT NULL,
	`tier` text NOT NULL,
	`residual_value` real NOT NULL,
	`tenure_days` integer NOT NULL,
	`first_tiered_at` integer NOT NULL,
	`left_at` integer NOT NULL,
	`noticed_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `crm_tier_exits_left_idx` ON `crm_tier_exits` (`left_at`,`tier`);--> statement-breakpoint
CREATE TABLE `crm_tier_revenue_daily` (
	`day` integer NOT NULL,
	`tier` text NOT NULL,
	`revenue_minor` integer DEFAULT 0 NOT NULL,
	`charges` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `tier`)
);
--> statement-breakpoint
CREATE TABLE `crm_tiers` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`tier` text NOT NULL,
	`rank` integer,
	`score` real,
	`residual_value` real NOT NULL,
	`tenure_days` integer NOT NULL,
	`since` integer NOT NULL,
	`first_tiered_at` integer NOT NULL,
	`computed_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `crm_tiers_tier_idx` ON `crm_tiers` (`tier`);--> statement-breakpoint
DROP INDEX `crm_interventions_finding_uq`;--> statement-breakpoint
CREATE UNIQUE INDEX `crm_interventions_finding_uq` ON `crm_interventions` (`finding_id`,`kind`);