ALTER TABLE `messages` ADD `claimed_by` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `claim_expires_at` integer;