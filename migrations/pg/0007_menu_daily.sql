CREATE TABLE "crm_menu_daily" (
	"day" bigint NOT NULL,
	"channel" text NOT NULL,
	"flow_id" text NOT NULL,
	"node_id" text NOT NULL,
	"views" bigint DEFAULT 0 NOT NULL,
	"picks" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"paged_views" bigint DEFAULT 0 NOT NULL,
	"invalid_views" bigint DEFAULT 0 NOT NULL,
	"menu_arrivals" bigint DEFAULT 0 NOT NULL,
	"detour_arrivals" bigint DEFAULT 0 NOT NULL,
	"shortcut_arrivals" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_menu_daily_pkey" PRIMARY KEY("day","channel","flow_id","node_id")
);
