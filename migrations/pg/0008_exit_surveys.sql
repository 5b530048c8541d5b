CREATE TABLE "exit_reasons_daily" (
	"day" bigint NOT NULL,
	"dim" text NOT NULL,
	"value" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"not_asked" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "exit_reasons_daily_pkey" PRIMARY KEY("dim","day","value","status","reason","not_asked")
);
--> statement-breakpoint
CREATE TABLE "exit_surveys" (
	"id" text PRIMARY KEY NOT NULL,
	"subscriber_id" bigint NOT NULL,
	"service_id" text NOT NULL,
	"subscription_id" text NOT NULL,
	"run_started_at" bigint NOT NULL,
	"exit_at" bigint NOT NULL,
	"exit_channel" text NOT NULL,
	"status" text NOT NULL,
	"not_asked_reason" text,
	"asked_channel" text,
	"asked_at" bigint,
	"window_ends_at" bigint,
	"message_id" text,
	"answered_at" bigint,
	"reason" text,
	"free_text" text,
	"tenure_days" bigint,
	"region" text,
	"cohort" text,
	"language" text,
	"finding_id" text
);
--> statement-breakpoint
ALTER TABLE "exit_surveys" ADD CONSTRAINT "exit_surveys_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "exit_surveys_run_uq" ON "exit_surveys" USING btree ("subscription_id","run_started_at");--> statement-breakpoint
CREATE INDEX "exit_surveys_subscriber_idx" ON "exit_surveys" USING btree ("subscriber_id","asked_at");--> statement-breakpoint
CREATE INDEX "exit_surveys_exit_at_idx" ON "exit_surveys" USING btree ("exit_at");--> statement-breakpoint
CREATE INDEX "exit_surveys_window_idx" ON "exit_surveys" USING btree ("window_ends_at");--> statement-breakpoint
CREATE INDEX "exit_surveys_free_text_idx" ON "exit_surveys" USING btree ("answered_at") WHERE free_text IS NOT NULL;