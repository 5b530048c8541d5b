CREATE TABLE `crm_onboarding` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`joined_at` integer NOT NULL,
	`join_day` integer NOT NULL,
	`via` text NOT NULL,
	`region` text,
	`crop` text,
	`finding_id` text NOT NULL,
	`arm` text,
	`welcome_id` text,
	`assigned_at` integer,
	`episode_at` integer,
	`first_go` integer,
	`retained` integer,
	`retention_closed_at` integer,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `crm_onboarding_join_idx` ON `crm_onboarding` (`join_day`,`arm`,`via`,`episode_at`,`first_go`,`retained`);--> statement-breakpoint
CREATE INDEX `crm_onboarding_open_idx` ON `crm_onboarding` (`retained`,`joined_at`);--> statement-breakpoint
CREATE TABLE `crm_onboarding_content` (
	`day` integer NOT NULL,
	`region` text NOT NULL,
	`crop` text NOT NULL,
	`flow_id` text NOT NULL,
	`node_id` text NOT NULL,
	`first_go` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `region`, `crop`, `flow_id`, `node_id`)
);
