CREATE TABLE "crm_best_channels" (
	"subscriber_id" bigint PRIMARY KEY NOT NULL,
	"sms_attempts" bigint DEFAULT 0 NOT NULL,
	"sms_responses" bigint DEFAULT 0 NOT NULL,
	"call_attempts" bigint DEFAULT 0 NOT NULL,
	"call_responses" bigint DEFAULT 0 NOT NULL,
	"ussd_attempts" bigint DEFAULT 0 NOT NULL,
	"ussd_responses" bigint DEFAULT 0 NOT NULL,
	"sms_open" bigint DEFAULT 0 NOT NULL,
	"ussd_open" bigint DEFAULT 0 NOT NULL,
	"open_until" bigint,
	"channel" text DEFAULT 'unknown' NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "fallback_channel" text;--> statement-breakpoint
ALTER TABLE "crm_best_channels" ADD CONSTRAINT "crm_best_channels_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crm_best_channels_open_idx" ON "crm_best_channels" USING btree ("open_until");--> statement-breakpoint
CREATE INDEX "crm_best_channels_channel_idx" ON "crm_best_channels" USING btree ("channel");