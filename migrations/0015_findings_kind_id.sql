DROP INDEX `crm_findings_kind_idx`;--> statement-breakpoint
CREATE INDEX `crm_findings_kind_idx` ON `crm_findings` (`kind`,`detected_at`,`id`);