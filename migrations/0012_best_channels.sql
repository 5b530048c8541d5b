CREATE TABLE `crm_best_channels` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`sms_attempts` integer DEFAULT 0 NOT NULL,
	`sms_responses` integer DEFAULT 0 NOT NULL,
	`call_attempts` integer DEFAULT 0 NOT NULL,
	`call_responses` integer DEFAULT 0 NOT NULL,
	`ussd_attempts` integer DEFAULT 0 NOT NULL,
	`ussd_responses` integer DEFAULT 0 NOT NULL,
	`sms_open` integer DEFAULT 0 NOT NULL,
	`ussd_open` integer DEFAULT 0 NOT NULL,
	`open_until` integer,
	`channel` text DEFAULT 'unknown' NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `crm_best_channels_open_idx` ON `crm_best_channels` (`open_until`);--> statement-breakpoint
CREATE INDEX `crm_best_channels_channel_idx` ON `crm_best_channels` (`channel`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `fallback_channel` text;