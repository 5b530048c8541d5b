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
CREATE INDEX `inbound_sms_from_idx` ON `inbound_sms` (`from_addr`,`created_at`);