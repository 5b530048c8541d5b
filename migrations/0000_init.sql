CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`external_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`flow_id` text NOT NULL,
	`service_code` text,
	`state` text NOT NULL,
	`status` text NOT NULL,
	`end_reason` text,
	`hops` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`last_activity_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_channel_external_uq` ON `sessions` (`channel`,`external_id`);--> statement-breakpoint
CREATE INDEX `sessions_subscriber_idx` ON `sessions` (`subscriber_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `sessions_active_idx` ON `sessions` (`status`,`last_activity_at`);--> statement-breakpoint
CREATE TABLE `subscribers` (
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
	`last_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_msisdn_uq` ON `subscribers` (`msisdn`);--> statement-breakpoint
CREATE INDEX `subscribers_last_seen_idx` ON `subscribers` (`last_seen_at`);--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`channel` text NOT NULL,
	`type` text NOT NULL,
	`session_id` text,
	`flow_id` text,
	`node_id` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `usage_events_subscriber_idx` ON `usage_events` (`subscriber_id`,`id`);--> statement-breakpoint
CREATE INDEX `usage_events_at_idx` ON `usage_events` (`at`);--> statement-breakpoint
CREATE TABLE `concat_parts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`group_key` text NOT NULL,
	`seq` integer NOT NULL,
	`total` integer NOT NULL,
	`data_coding` integer NOT NULL,
	`data` blob NOT NULL,
	`meta` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `concat_parts_group_seq_uq` ON `concat_parts` (`group_key`,`seq`);--> statement-breakpoint
CREATE INDEX `concat_parts_at_idx` ON `concat_parts` (`received_at`);--> statement-breakpoint
CREATE TABLE `message_parts` (
	`message_id` text NOT NULL,
	`seq` integer NOT NULL,
	`smsc` text NOT NULL,
	`smsc_id` text NOT NULL,
	`bind_id` text NOT NULL,
	`status` text NOT NULL,
	`dlr_stat` text,
	`dlr_err` text,
	`submitted_at` integer NOT NULL,
	`done_at` integer,
	PRIMARY KEY(`message_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `message_parts_smsc_idx` ON `message_parts` (`smsc`,`smsc_id`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer NOT NULL,
	`msisdn` text NOT NULL,
	`sender` text,
	`text` text NOT NULL,
	`kind` text NOT NULL,
	`source` text NOT NULL,
	`source_ref` text,
	`status` text NOT NULL,
	`reason` text,
	`error` text,
	`error_code` integer,
	`operator` text,
	`encoding` text NOT NULL,
	`parts` integer NOT NULL,
	`concat_ref` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`due_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`bind_id` text,
	`receipt_requested` integer DEFAULT 0 NOT NULL,
	`receipt_sent_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`sent_at` integer,
	`delivered_at` integer,
	`final_at` integer
);
--> statement-breakpoint
CREATE INDEX `messages_due_idx` ON `messages` (`status`,`operator`,`due_at`);--> statement-breakpoint
CREATE INDEX `messages_subscriber_idx` ON `messages` (`subscriber_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `messages_expiry_idx` ON `messages` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `messages_receipt_idx` ON `messages` (`source`) WHERE receipt_requested > 0 AND receipt_sent_at IS NULL AND final_at IS NOT NULL;--> statement-breakpoint
CREATE TABLE `pending_receipts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`smsc` text NOT NULL,
	`smsc_id` text NOT NULL,
	`stat` text NOT NULL,
	`err` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_receipts_smsc_idx` ON `pending_receipts` (`smsc`,`smsc_id`);--> statement-breakpoint
CREATE INDEX `pending_receipts_at_idx` ON `pending_receipts` (`received_at`);--> statement-breakpoint
CREATE TABLE `calls` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer NOT NULL,
	`msisdn` text NOT NULL,
	`flow_id` text NOT NULL,
	`start_node` text,
	`kind` text NOT NULL,
	`source` text NOT NULL,
	`source_ref` text,
	`status` text NOT NULL,
	`reason` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`provider` text,
	`provider_ref` text,
	`session_id` text,
	`hangup_cause` text,
	`duration_seconds` integer,
	`amount` real,
	`currency` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`dialed_at` integer,
	`answered_at` integer,
	`ended_at` integer
);
--> statement-breakpoint
CREATE INDEX `calls_due_idx` ON `calls` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `calls_provider_ref_idx` ON `calls` (`provider_ref`);--> statement-breakpoint
CREATE INDEX `calls_subscriber_idx` ON `calls` (`subscriber_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `billing_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscription_id` text NOT NULL,
	`source` text NOT NULL,
	`external_id` text NOT NULL,
	`type` text NOT NULL,
	`at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`amount_minor` integer,
	`currency` text,
	`reason` text,
	`next_renewal_at` integer,
	`auto_renew` integer,
	`detail` text,
	`flag` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_events_external_uq` ON `billing_events` (`external_id`);--> statement-breakpoint
CREATE INDEX `billing_events_subscription_idx` ON `billing_events` (`subscription_id`,`at`,`id`);--> statement-breakpoint
CREATE TABLE `subscription_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`action` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscription_requests_due_idx` ON `subscription_requests` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer NOT NULL,
	`service_id` text NOT NULL,
	`state` text NOT NULL,
	`state_entered_at` integer,
	`entered` text DEFAULT '{}' NOT NULL,
	`subscribed_at` integer,
	`renewals` integer DEFAULT 0 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`last_charged_at` integer,
	`next_renewal_at` integer,
	`revenue_minor` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`auto_renew` integer DEFAULT true NOT NULL,
	`pending_action` text,
	`flags` integer DEFAULT 0 NOT NULL,
	`deadline_at` integer,
	`evaluated_at` integer NOT NULL,
	`reminder_for` integer,
	`last_event_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_subscriber_service_uq` ON `subscriptions` (`subscriber_id`,`service_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_state_idx` ON `subscriptions` (`state`,`service_id`,`id`);--> statement-breakpoint
CREATE INDEX `subscriptions_renewal_idx` ON `subscriptions` (`state`,`next_renewal_at`);--> statement-breakpoint
CREATE INDEX `subscriptions_deadline_idx` ON `subscriptions` (`deadline_at`);--> statement-breakpoint
CREATE TABLE `campaign_recipients` (
	`run_id` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`status` text NOT NULL,
	`ref` text,
	`reason` text,
	`at` integer,
	PRIMARY KEY(`run_id`, `subscriber_id`)
);
--> statement-breakpoint
CREATE TABLE `campaign_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`due_at` integer NOT NULL,
	`status` text NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`queued` integer DEFAULT 0 NOT NULL,
	`blocked` integer DEFAULT 0 NOT NULL,
	`cursor` integer DEFAULT 0 NOT NULL,
	`pace_from_at` integer,
	`pace_from_count` integer DEFAULT 0 NOT NULL,
	`deferred_until` integer,
	`lease_owner` text,
	`lease_expires_at` integer,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_runs_due_uq` ON `campaign_runs` (`campaign_id`,`due_at`);--> statement-breakpoint
CREATE INDEX `campaign_runs_status_idx` ON `campaign_runs` (`status`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`channel` text NOT NULL,
	`segment_id` text NOT NULL,
	`text` text,
	`poll_id` text,
	`flow_id` text,
	`start_node` text,
	`schedule_at` integer,
	`cron` text,
	`timezone` text NOT NULL,
	`rate_per_second` integer,
	`status` text NOT NULL,
	`next_run_at` integer,
	`runs` integer DEFAULT 0 NOT NULL,
	`last_run_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `campaigns_due_idx` ON `campaigns` (`status`,`next_run_at`);--> statement-breakpoint
CREATE TABLE `poll_answers` (
	`poll_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`answer` integer NOT NULL,
	`channel` text NOT NULL,
	`campaign_id` text,
	`at` integer NOT NULL,
	PRIMARY KEY(`poll_id`, `subscriber_id`)
);
--> statement-breakpoint
CREATE INDEX `poll_answers_subscriber_idx` ON `poll_answers` (`subscriber_id`);--> statement-breakpoint
CREATE TABLE `poll_invites` (
	`poll_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`channel` text NOT NULL,
	`campaign_id` text,
	`sent_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`clarified_at` integer,
	`answered_at` integer,
	PRIMARY KEY(`poll_id`, `subscriber_id`)
);
--> statement-breakpoint
CREATE INDEX `poll_invites_subscriber_idx` ON `poll_invites` (`subscriber_id`,`sent_at`);--> statement-breakpoint
CREATE TABLE `polls` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`type` text NOT NULL,
	`question` text NOT NULL,
	`answers` text NOT NULL,
	`keywords` text NOT NULL,
	`status` text NOT NULL,
	`flow_id` text,
	`node_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `polls_key_uq` ON `polls` (`key`);--> statement-breakpoint
CREATE TABLE `segments` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`filter` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `crm_findings` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer NOT NULL,
	`kind` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`service_id` text,
	`detail` text NOT NULL,
	`detected_at` integer NOT NULL,
	`not_before` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`closed_at` integer,
	`intervention_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `crm_findings_dedupe_uq` ON `crm_findings` (`dedupe_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `crm_findings_open_uq` ON `crm_findings` (`subscriber_id`,`kind`) WHERE closed_at IS NULL;--> statement-breakpoint
CREATE INDEX `crm_findings_due_idx` ON `crm_findings` (`status`,`not_before`);--> statement-breakpoint
CREATE INDEX `crm_findings_kind_idx` ON `crm_findings` (`kind`,`detected_at`);--> statement-breakpoint
CREATE TABLE `crm_fits` (
	`model` text NOT NULL,
	`service_id` text NOT NULL,
	`cohort` text NOT NULL,
	`params` text NOT NULL,
	`size` integer NOT NULL,
	`log_likelihood` real NOT NULL,
	`observed` text NOT NULL,
	`fitted_at` integer NOT NULL,
	PRIMARY KEY(`model`, `service_id`, `cohort`)
);
--> statement-breakpoint
CREATE TABLE `crm_interventions` (
	`id` text PRIMARY KEY NOT NULL,
	`finding_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`kind` text NOT NULL,
	`finding_kind` text NOT NULL,
	`service_id` text,
	`arm` text NOT NULL,
	`channel` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`message_id` text,
	`call_id` text,
	`text` text,
	`parts` integer DEFAULT 0 NOT NULL,
	`cost_minor` integer DEFAULT 0 NOT NULL,
	`at` integer NOT NULL,
	`window_ends_at` integer NOT NULL,
	`outcome_closed` integer DEFAULT false NOT NULL,
	`reached_content_at` integer,
	`returned_at` integer,
	`renewed_at` integer,
	`revenue_minor` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `crm_interventions_finding_uq` ON `crm_interventions` (`finding_id`);--> statement-breakpoint
CREATE INDEX `crm_interventions_subscriber_idx` ON `crm_interventions` (`subscriber_id`,`kind`,`at`);--> statement-breakpoint
CREATE INDEX `crm_interventions_open_idx` ON `crm_interventions` (`outcome_closed`,`window_ends_at`);--> statement-breakpoint
CREATE INDEX `crm_interventions_kind_idx` ON `crm_interventions` (`kind`,`at`);--> statement-breakpoint
CREATE TABLE `crm_lapse_days` (
	`first_day` integer NOT NULL,
	`active_days` integer NOT NULL,
	`last_day` integer NOT NULL,
	`lapse_day` integer,
	PRIMARY KEY(`first_day`, `active_days`, `last_day`)
);
--> statement-breakpoint
CREATE INDEX `crm_lapse_days_day_idx` ON `crm_lapse_days` (`lapse_day`);--> statement-breakpoint
CREATE TABLE `crm_node_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`node_id` text NOT NULL,
	`views` integer DEFAULT 0 NOT NULL,
	`sessions` integer DEFAULT 0 NOT NULL,
	`invalid` integer DEFAULT 0 NOT NULL,
	`backs` integer DEFAULT 0 NOT NULL,
	`exits` text DEFAULT '{}' NOT NULL,
	`dropoffs` integer DEFAULT 0 NOT NULL,
	`dwell` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`, `node_id`)
);
--> statement-breakpoint
CREATE TABLE `crm_open_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer NOT NULL,
	`last_at` integer NOT NULL,
	`acc` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `crm_passes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`as_of` integer NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`events` integer NOT NULL,
	`summary` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `crm_risk` (
	`subscriber_id` integer NOT NULL,
	`service_id` text NOT NULL,
	`state` text NOT NULL,
	`p_alive` real,
	`renew_probability` real NOT NULL,
	`residual_periods` real NOT NULL,
	`residual_value` real NOT NULL,
	`risk` real NOT NULL,
	`value_at_risk` real NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`subscriber_id`, `service_id`)
);
--> statement-breakpoint
CREATE INDEX `crm_risk_value_idx` ON `crm_risk` (`value_at_risk`);--> statement-breakpoint
CREATE TABLE `crm_session_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`sessions` integer DEFAULT 0 NOT NULL,
	`content_sessions` integer DEFAULT 0 NOT NULL,
	`clean_sessions` integer DEFAULT 0 NOT NULL,
	`stuck_sessions` integer DEFAULT 0 NOT NULL,
	`first_sessions` integer DEFAULT 0 NOT NULL,
	`first_content_sessions` integer DEFAULT 0 NOT NULL,
	`menu_ms` integer DEFAULT 0 NOT NULL,
	`ends` text DEFAULT '{}' NOT NULL,
	`friction` text DEFAULT '{}' NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`)
);
--> statement-breakpoint
CREATE TABLE `crm_snapshots` (
	`kind` text NOT NULL,
	`day` integer NOT NULL,
	`data` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`kind`, `day`)
);
--> statement-breakpoint
CREATE TABLE `crm_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text,
	`owner` text,
	`expires_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `crm_subscribers` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`first_day` integer,
	`last_day` integer,
	`active_days` integer DEFAULT 0 NOT NULL,
	`sessions` integer DEFAULT 0 NOT NULL,
	`ussd_sessions` integer DEFAULT 0 NOT NULL,
	`ivr_sessions` integer DEFAULT 0 NOT NULL,
	`content_sessions` integer DEFAULT 0 NOT NULL,
	`clean_sessions` integer DEFAULT 0 NOT NULL,
	`stuck_sessions` integer DEFAULT 0 NOT NULL,
	`first_content` integer,
	`last_session_at` integer,
	`last_content_at` integer,
	`stuck_recent` text,
	`charges_recent` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `crm_subscribers_history_idx` ON `crm_subscribers` (`first_day`,`active_days`,`last_day`);--> statement-breakpoint
CREATE TABLE `crm_usage_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`dim` text NOT NULL,
	`value` text NOT NULL,
	`sessions` integer DEFAULT 0 NOT NULL,
	`content_sessions` integer DEFAULT 0 NOT NULL,
	`stuck_sessions` integer DEFAULT 0 NOT NULL,
	`subscribers` blob NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`, `dim`, `value`)
);
