DROP INDEX "crm_findings_kind_idx";--> statement-breakpoint
CREATE INDEX "crm_findings_kind_idx" ON "crm_findings" USING btree ("kind","detected_at","id");