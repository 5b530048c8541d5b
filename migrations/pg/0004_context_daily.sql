CREATE TABLE "crm_context_daily" (
	"day" bigint NOT NULL,
	"flow_id" text NOT NULL,
	"node_id" text NOT NULL,
	"served" bigint DEFAULT 0 NOT NULL,
	"outside_any" bigint DEFAULT 0 NOT NULL,
	"outside_months" bigint DEFAULT 0 NOT NULL,
	"outside_regions" bigint DEFAULT 0 NOT NULL,
	"outside_crops" bigint DEFAULT 0 NOT NULL,
	"region_unknown" bigint DEFAULT 0 NOT NULL,
	"crops_unknown" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_context_daily_pkey" PRIMARY KEY("day","flow_id","node_id")
);
