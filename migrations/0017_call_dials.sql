CREATE TABLE `call_dials` (
	`call_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`call_id`, `attempt`)
);
--> statement-breakpoint
CREATE INDEX `call_dials_at_idx` ON `call_dials` (`at`);