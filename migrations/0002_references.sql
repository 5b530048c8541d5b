PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer,
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
	`final_at` integer,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_messages`("id", "subscriber_id", "msisdn", "sender", "text", "kind", "source", "source_ref", "status", "reason", "error", "error_code", "operator", "encoding", "parts", "concat_ref", "attempts", "due_at", "expires_at", "bind_id", "receipt_requested", "receipt_sent_at", "created_at", "updated_at", "sent_at", "delivered_at", "final_at") SELECT "id", "subscriber_id", "msisdn", "sender", "text", "kind", "source", "source_ref", "status", "reason", "error", "error_code", "operator", "encoding", "parts", "concat_ref", "attempts", "due_at", "expires_at", "bind_id", "receipt_requested", "receipt_sent_at", "created_at", "updated_at", "sent_at", "delivered_at", "final_at" FROM `messages`;--> statement-breakpoint
DROP TABLE `messages`;--> statement-breakpoint
ALTER TABLE `__new_messages` RENAME TO `messages`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `messages_due_idx` ON `messages` (`status`,`operator`,`due_at`);--> statement-breakpoint
CREATE INDEX `messages_subscriber_idx` ON `messages` (`subscriber_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `messages_expiry_idx` ON `messages` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `messages_receipt_idx` ON `messages` (`source`) WHERE receipt_requested > 0 AND receipt_sent_at IS NULL AND final_at IS NOT NULL;--> statement-breakpoint
CREATE TABLE `__new_sessions` (
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
	`ended_at` integer,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_sessions`("id", "channel", "external_id", "subscriber_id", "flow_id", "service_code", "state", "status", "end_reason", "hops", "started_at", "last_activity_at", "ended_at") SELECT "id", "channel", "external_id", "subscriber_id", "flow_id", "service_code", "state", "status", "end_reason", "hops", "started_at", "last_activity_at", "ended_at" FROM `sessions`;--> statement-breakpoint
DROP TABLE `sessions`;--> statement-breakpoint
ALTER TABLE `__new_sessions` RENAME TO `sessions`;--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_channel_external_uq` ON `sessions` (`channel`,`external_id`);--> statement-breakpoint
CREATE INDEX `sessions_subscriber_idx` ON `sessions` (`subscriber_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `sessions_active_idx` ON `sessions` (`status`,`last_activity_at`);--> statement-breakpoint
CREATE TABLE `__new_usage_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`channel` text NOT NULL,
	`type` text NOT NULL,
	`session_id` text,
	`flow_id` text,
	`node_id` text,
	`detail` text,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_usage_events`("id", "at", "subscriber_id", "channel", "type", "session_id", "flow_id", "node_id", "detail") SELECT "id", "at", "subscriber_id", "channel", "type", "session_id", "flow_id", "node_id", "detail" FROM `usage_events`;--> statement-breakpoint
DROP TABLE `usage_events`;--> statement-breakpoint
ALTER TABLE `__new_usage_events` RENAME TO `usage_events`;--> statement-breakpoint
CREATE INDEX `usage_events_subscriber_idx` ON `usage_events` (`subscriber_id`,`id`);--> statement-breakpoint
CREATE INDEX `usage_events_at_idx` ON `usage_events` (`at`);--> statement-breakpoint
CREATE TABLE `__new_inbound_sms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`external_id` text,
	`from_addr` text NOT NULL,
	`to_addr` text NOT NULL,
	`text` text NOT NULL,
	`subscriber_id` integer,
	`route` text NOT NULL,
	`received_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_inbound_sms`("id", "source", "external_id", "from_addr", "to_addr", "text", "subscriber_id", "route", "received_at", "created_at") SELECT "id", "source", "external_id", "from_addr", "to_addr", "text", "subscriber_id", "route", "received_at", "created_at" FROM `inbound_sms`;--> statement-breakpoint
DROP TABLE `inbound_sms`;--> statement-breakpoint
ALTER TABLE `__new_inbound_sms` RENAME TO `inbound_sms`;--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_sms_source_ext_uq` ON `inbound_sms` (`source`,`external_id`);--> statement-breakpoint
CREATE INDEX `inbound_sms_from_idx` ON `inbound_sms` (`from_addr`,`created_at`);--> statement-breakpoint
CREATE TABLE `__new_message_parts` (
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
	PRIMARY KEY(`message_id`, `seq`),
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_message_parts`("message_id", "seq", "smsc", "smsc_id", "bind_id", "status", "dlr_stat", "dlr_err", "submitted_at", "done_at") SELECT "message_id", "seq", "smsc", "smsc_id", "bind_id", "status", "dlr_stat", "dlr_err", "submitted_at", "done_at" FROM `message_parts`;--> statement-breakpoint
DROP TABLE `message_parts`;--> statement-breakpoint
ALTER TABLE `__new_message_parts` RENAME TO `message_parts`;--> statement-breakpoint
CREATE INDEX `message_parts_smsc_idx` ON `message_parts` (`smsc`,`smsc_id`);--> statement-breakpoint
CREATE TABLE `__new_calls` (
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
	`ended_at` integer,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_calls`("id", "subscriber_id", "msisdn", "flow_id", "start_node", "kind", "source", "source_ref", "status", "reason", "attempts", "next_attempt_at", "provider", "provider_ref", "session_id", "hangup_cause", "duration_seconds", "amount", "currency", "created_at", "updated_at", "dialed_at", "answered_at", "ended_at") SELECT "id", "subscriber_id", "msisdn", "flow_id", "start_node", "kind", "source", "source_ref", "status", "reason", "attempts", "next_attempt_at", "provider", "provider_ref", "session_id", "hangup_cause", "duration_seconds", "amount", "currency", "created_at", "updated_at", "dialed_at", "answered_at", "ended_at" FROM `calls`;--> statement-breakpoint
DROP TABLE `calls`;--> statement-breakpoint
ALTER TABLE `__new_calls` RENAME TO `calls`;--> statement-breakpoint
CREATE INDEX `calls_due_idx` ON `calls` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `calls_provider_ref_idx` ON `calls` (`provider_ref`);--> statement-breakpoint
CREATE INDEX `calls_subscriber_idx` ON `calls` (`subscriber_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `__new_billing_events` (
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
	`flag` text,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_billing_events`("id", "subscription_id", "source", "external_id", "type", "at", "received_at", "amount_minor", "currency", "reason", "next_renewal_at", "auto_renew", "detail", "flag") SELECT "id", "subscription_id", "source", "external_id", "type", "at", "received_at", "amount_minor", "currency", "reason", "next_renewal_at", "auto_renew", "detail", "flag" FROM `billing_events`;--> statement-breakpoint
DROP TABLE `billing_events`;--> statement-breakpoint
ALTER TABLE `__new_billing_events` RENAME TO `billing_events`;--> statement-breakpoint
CREATE UNIQUE INDEX `billing_events_external_uq` ON `billing_events` (`external_id`);--> statement-breakpoint
CREATE INDEX `billing_events_subscription_idx` ON `billing_events` (`subscription_id`,`at`,`id`);--> statement-breakpoint
CREATE TABLE `__new_subscription_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`action` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_subscription_requests`("id", "subscription_id", "action", "provider", "status", "attempts", "next_attempt_at", "last_error", "created_at", "updated_at") SELECT "id", "subscription_id", "action", "provider", "status", "attempts", "next_attempt_at", "last_error", "created_at", "updated_at" FROM `subscription_requests`;--> statement-breakpoint
DROP TABLE `subscription_requests`;--> statement-breakpoint
ALTER TABLE `__new_subscription_requests` RENAME TO `subscription_requests`;--> statement-breakpoint
CREATE INDEX `subscription_requests_due_idx` ON `subscription_requests` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `__new_subscriptions` (
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
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_subscriptions`("id", "subscriber_id", "service_id", "state", "state_entered_at", "entered", "subscribed_at", "renewals", "consecutive_failures", "last_charged_at", "next_renewal_at", "revenue_minor", "currency", "auto_renew", "pending_action", "flags", "deadline_at", "evaluated_at", "reminder_for", "last_event_at", "created_at", "updated_at") SELECT "id", "subscriber_id", "service_id", "state", "state_entered_at", "entered", "subscribed_at", "renewals", "consecutive_failures", "last_charged_at", "next_renewal_at", "revenue_minor", "currency", "auto_renew", "pending_action", "flags", "deadline_at", "evaluated_at", "reminder_for", "last_event_at", "created_at", "updated_at" FROM `subscriptions`;--> statement-breakpoint
DROP TABLE `subscriptions`;--> statement-breakpoint
ALTER TABLE `__new_subscriptions` RENAME TO `subscriptions`;--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_subscriber_service_uq` ON `subscriptions` (`subscriber_id`,`service_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_state_idx` ON `subscriptions` (`state`,`service_id`,`id`);--> statement-breakpoint
CREATE INDEX `subscriptions_renewal_idx` ON `subscriptions` (`state`,`next_renewal_at`);--> statement-breakpoint
CREATE INDEX `subscriptions_deadline_idx` ON `subscriptions` (`deadline_at`);--> statement-breakpoint
CREATE TABLE `__new_campaign_recipients` (
	`run_id` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`status` text NOT NULL,
	`ref` text,
	`reason` text,
	`at` integer,
	PRIMARY KEY(`run_id`, `subscriber_id`),
	FOREIGN KEY (`run_id`) REFERENCES `campaign_runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_campaign_recipients`("run_id", "subscriber_id", "status", "ref", "reason", "at") SELECT "run_id", "subscriber_id", "status", "ref", "reason", "at" FROM `campaign_recipients`;--> statement-breakpoint
DROP TABLE `campaign_recipients`;--> statement-breakpoint
ALTER TABLE `__new_campaign_recipients` RENAME TO `campaign_recipients`;--> statement-breakpoint
CREATE TABLE `__new_campaign_runs` (
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
	`finished_at` integer,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_campaign_runs`("id", "campaign_id", "due_at", "status", "total", "queued", "blocked", "cursor", "pace_from_at", "pace_from_count", "deferred_until", "lease_owner", "lease_expires_at", "started_at", "finished_at") SELECT "id", "campaign_id", "due_at", "status", "total", "queued", "blocked", "cursor", "pace_from_at", "pace_from_count", "deferred_until", "lease_owner", "lease_expires_at", "started_at", "finished_at" FROM `campaign_runs`;--> statement-breakpoint
DROP TABLE `campaign_runs`;--> statement-breakpoint
ALTER TABLE `__new_campaign_runs` RENAME TO `campaign_runs`;--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_runs_due_uq` ON `campaign_runs` (`campaign_id`,`due_at`);--> statement-breakpoint
CREATE INDEX `campaign_runs_status_idx` ON `campaign_runs` (`status`);--> statement-breakpoint
CREATE TABLE `__new_campaigns` (
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
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`poll_id`) REFERENCES `polls`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_campaigns`("id", "name", "kind", "channel", "segment_id", "text", "poll_id", "flow_id", "start_node", "schedule_at", "cron", "timezone", "rate_per_second", "status", "next_run_at", "runs", "last_run_at", "created_at", "updated_at") SELECT "id", "name", "kind", "channel", "segment_id", "text", "poll_id", "flow_id", "start_node", "schedule_at", "cron", "timezone", "rate_per_second", "status", "next_run_at", "runs", "last_run_at", "created_at", "updated_at" FROM `campaigns`;--> statement-breakpoint
DROP TABLE `campaigns`;--> statement-breakpoint
ALTER TABLE `__new_campaigns` RENAME TO `campaigns`;--> statement-breakpoint
CREATE INDEX `campaigns_due_idx` ON `campaigns` (`status`,`next_run_at`);--> statement-breakpoint
CREATE TABLE `__new_poll_answers` (
	`poll_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`answer` integer NOT NULL,
	`channel` text NOT NULL,
	`campaign_id` text,
	`at` integer NOT NULL,
	PRIMARY KEY(`poll_id`, `subscriber_id`),
	FOREIGN KEY (`poll_id`) REFERENCES `polls`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_poll_answers`("poll_id", "subscriber_id", "answer", "channel", "campaign_id", "at") SELECT "poll_id", "subscriber_id", "answer", "channel", "campaign_id", "at" FROM `poll_answers`;--> statement-breakpoint
DROP TABLE `poll_answers`;--> statement-breakpoint
ALTER TABLE `__new_poll_answers` RENAME TO `poll_answers`;--> statement-breakpoint
CREATE INDEX `poll_answers_subscriber_idx` ON `poll_answers` (`subscriber_id`);--> statement-breakpoint
CREATE TABLE `__new_poll_invites` (
	`poll_id` text NOT NULL,
	`subscriber_id` integer NOT NULL,
	`channel` text NOT NULL,
	`campaign_id` text,
	`sent_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`clarified_at` integer,
	`answered_at` integer,
	PRIMARY KEY(`poll_id`, `subscriber_id`),
	FOREIGN KEY (`poll_id`) REFERENCES `polls`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_poll_invites`("poll_id", "subscriber_id", "channel", "campaign_id", "sent_at", "expires_at", "clarified_at", "answered_at") SELECT "poll_id", "subscriber_id", "channel", "campaign_id", "sent_at", "expires_at", "clarified_at", "answered_at" FROM `poll_invites`;--> statement-breakpoint
DROP TABLE `poll_invites`;--> statement-breakpoint
ALTER TABLE `__new_poll_invites` RENAME TO `poll_invites`;--> statement-breakpoint
CREATE INDEX `poll_invites_subscriber_idx` ON `poll_invites` (`subscriber_id`,`sent_at`);--> statement-breakpoint
CREATE TABLE `__new_crm_findings` (
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
	`intervention_id` text,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_crm_findings`("id", "subscriber_id", "kind", "dedupe_key", "status", "reason", "service_id", "detail", "detected_at", "not_before", "expires_at", "closed_at", "intervention_id") SELECT "id", "subscriber_id", "kind", "dedupe_key", "status", "reason", "service_id", "detail", "detected_at", "not_before", "expires_at", "closed_at", "intervention_id" FROM `crm_findings`;--> statement-breakpoint
DROP TABLE `crm_findings`;--> statement-breakpoint
ALTER TABLE `__new_crm_findings` RENAME TO `crm_findings`;--> statement-breakpoint
CREATE UNIQUE INDEX `crm_findings_dedupe_uq` ON `crm_findings` (`dedupe_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `crm_findings_open_uq` ON `crm_findings` (`subscriber_id`,`kind`) WHERE closed_at IS NULL;--> statement-breakpoint
CREATE INDEX `crm_findings_due_idx` ON `crm_findings` (`status`,`not_before`);--> statement-breakpoint
CREATE INDEX `crm_findings_kind_idx` ON `crm_findings` (`kind`,`detected_at`);--> statement-breakpoint
CREATE TABLE `__new_crm_interventions` (
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
	`revenue_minor` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`finding_id`) REFERENCES `crm_findings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_crm_interventions`("id", "finding_id", "subscriber_id", "kind", "finding_kind", "service_id", "arm", "channel", "status", "reason", "message_id", "call_id", "text", "parts", "cost_minor", "at", "window_ends_at", "outcome_closed", "reached_content_at", "returned_at", "renewed_at", "revenue_minor") SELECT "id", "finding_id", "subscriber_id", "kind", "finding_kind", "service_id", "arm", "channel", "status", "reason", "message_id", "call_id", "text", "parts", "cost_minor", "at", "window_ends_at", "outcome_closed", "reached_content_at", "returned_at", "renewed_at", "revenue_minor" FROM `crm_interventions`;--> statement-breakpoint
DROP TABLE `crm_interventions`;--> statement-breakpoint
ALTER TABLE `__new_crm_interventions` RENAME TO `crm_interventions`;--> statement-breakpoint
CREATE UNIQUE INDEX `crm_interventions_finding_uq` ON `crm_interventions` (`finding_id`);--> statement-breakpoint
CREATE INDEX `crm_interventions_subscriber_idx` ON `crm_interventions` (`subscriber_id`,`kind`,`at`);--> statement-breakpoint
CREATE INDEX `crm_interventions_open_idx` ON `crm_interventions` (`outcome_closed`,`window_ends_at`);--> statement-breakpoint
CREATE INDEX `crm_interventions_kind_idx` ON `crm_interventions` (`kind`,`at`);--> statement-breakpoint
CREATE TABLE `__new_crm_open_episodes` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`last_at` integer NOT NULL,
	`acc` text NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_crm_open_episodes`("subscriber_id", "last_at", "acc") SELECT "subscriber_id", "last_at", "acc" FROM `crm_open_episodes`;--> statement-breakpoint
DROP TABLE `crm_open_episodes`;--> statement-breakpoint
ALTER TABLE `__new_crm_open_episodes` RENAME TO `crm_open_episodes`;--> statement-breakpoint
CREATE TABLE `__new_crm_open_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`subscriber_id` integer NOT NULL,
	`last_at` integer NOT NULL,
	`acc` text NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_crm_open_sessions`("session_id", "subscriber_id", "last_at", "acc") SELECT "session_id", "subscriber_id", "last_at", "acc" FROM `crm_open_sessions`;--> statement-breakpoint
DROP TABLE `crm_open_sessions`;--> statement-breakpoint
ALTER TABLE `__new_crm_open_sessions` RENAME TO `crm_open_sessions`;--> statement-breakpoint
CREATE TABLE `__new_crm_risk_rankings` (
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
	PRIMARY KEY(`kind`, `subscriber_id`, `service_id`),
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_crm_risk_rankings`("kind", "subscriber_id", "service_id", "state", "p_alive", "last_active_day", "active_days", "renew_probability", "renewals", "consecutive_failures", "recent_failed_charges", "residual_periods", "residual_value", "risk", "value_at_risk", "computed_at") SELECT "kind", "subscriber_id", "service_id", "state", "p_alive", "last_active_day", "active_days", "renew_probability", "renewals", "consecutive_failures", "recent_failed_charges", "residual_periods", "residual_value", "risk", "value_at_risk", "computed_at" FROM `crm_risk_rankings`;--> statement-breakpoint
DROP TABLE `crm_risk_rankings`;--> statement-breakpoint
ALTER TABLE `__new_crm_risk_rankings` RENAME TO `crm_risk_rankings`;--> statement-breakpoint
CREATE INDEX `crm_risk_rankings_value_idx` ON `crm_risk_rankings` (`kind`,`value_at_risk`);--> statement-breakpoint
CREATE TABLE `__new_crm_subscribers` (
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
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_crm_subscribers`("subscriber_id", "first_day", "last_day", "active_days", "sessions", "ussd_sessions", "ivr_sessions", "content_sessions", "clean_sessions", "stuck_sessions", "first_content", "last_session_at", "last_content_at", "stuck_recent", "charges_recent", "updated_at") SELECT "subscriber_id", "first_day", "last_day", "active_days", "sessions", "ussd_sessions", "ivr_sessions", "content_sessions", "clean_sessions", "stuck_sessions", "first_content", "last_session_at", "last_content_at", "stuck_recent", "charges_recent", "updated_at" FROM `crm_subscribers`;--> statement-breakpoint
DROP TABLE `crm_subscribers`;--> statement-breakpoint
ALTER TABLE `__new_crm_subscribers` RENAME TO `crm_subscribers`;--> statement-breakpoint
CREATE INDEX `crm_subscribers_history_idx` ON `crm_subscribers` (`first_day`,`active_days`,`last_day`);--> statement-breakpoint
CREATE TABLE `__new_import_rejections` (
	`job_id` text NOT NULL,
	`line` integer NOT NULL,
	`msisdn` text,
	`reason` text NOT NULL,
	PRIMARY KEY(`job_id`, `line`),
	FOREIGN KEY (`job_id`) REFERENCES `import_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_import_rejections`("job_id", "line", "msisdn", "reason") SELECT "job_id", "line", "msisdn", "reason" FROM `import_rejections`;--> statement-breakpoint
DROP TABLE `import_rejections`;--> statement-breakpoint
ALTER TABLE `__new_import_rejections` RENAME TO `import_rejections`;