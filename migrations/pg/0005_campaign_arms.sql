CREATE TABLE "campaign_assignments" (
	"campaign_id" text NOT NULL,
	"subscriber_id" bigint NOT NULL,
	"arm" text NOT NULL,
	"run_id" bigint NOT NULL,
	"channel" text NOT NULL,
	"ref" text,
	"assigned_at" bigint NOT NULL,
	"converted_at" bigint,
	"reached_at" bigint,
	"cost_minor" bigint DEFAULT 0 NOT NULL,
	"settled" boolean DEFAULT false NOT NULL,
	CONSTRAINT "campaign_assignments_pkey" PRIMARY KEY("campaign_id","subscriber_id")
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "arms" jsonb;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "holdout_percent" bigint;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "goal" jsonb;--> statement-breakpoint
ALTER TABLE "campaign_assignments" ADD CONSTRAINT "campaign_assignments_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_assignments" ADD CONSTRAINT "campaign_assignments_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaign_assignments_arm_idx" ON "campaign_assignments" USING btree ("campaign_id","arm","converted_at","reached_at","cost_minor","assigned_at");--> statement-breakpoint
CREATE INDEX "campaign_assignments_unsettled_idx" ON "campaign_assignments" USING btree ("campaign_id") WHERE settled = false;