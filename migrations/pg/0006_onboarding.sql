CREATE TABLE "crm_onboarding" (
	"subscriber_id" bigint PRIMARY KEY NOT NULL,
	"joined_at" bigint NOT NULL,
	"join_day" bigint NOT NULL,
	"via" text NOT NULL,
	"region" text,
	"crop" text,
	"finding_id" text NOT NULL,
	"arm" text,
	"welcome_id" text,
	"assigned_at" bigint,
	"episode_at" bigint,
	"first_go" bigint,
	"retained" bigint,
	"retention_closed_at" bigint
);
--> statement-breakpoint
CREATE TABLE "crm_onboarding_content" (
	"day" bigint NOT NULL,
	"region" text NOT NULL,
	"crop" text NOT NULL,
	"flow_id" text NOT NULL,
	"node_id" text NOT NULL,
	"first_go" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_onboarding_content_pkey" PRIMARY KEY("day","region","crop","flow_id","node_id")
);
--> statement-breakpoint
ALTER TABLE "crm_onboarding" ADD CONSTRAINT "crm_onboarding_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crm_onboarding_join_idx" ON "crm_onboarding" USING btree ("join_day","arm","via","episode_at","first_go","retained");--> statement-breakpoint
CREATE INDEX "crm_onboarding_open_idx" ON "crm_onboarding" USING btree ("retained","joined_at");