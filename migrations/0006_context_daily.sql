CREATE TABLE `crm_context_daily` (
	`day` integer NOT NULL,
	`flow_id` text NOT NULL,
	`node_id` text NOT NULL,
	`served` integer DEFAULT 0 NOT NULL,
	`outside_any` integer DEFAULT 0 NOT NULL,
	`outside_months` integer DEFAULT 0 NOT NULL,
	`outside_regions` integer DEFAULT 0 NOT NULL,
	`outside_crops` integer DEFAULT 0 NOT NULL,
	`region_unknown` integer DEFAULT 0 NOT NULL,
	`crops_unknown` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `flow_id`, `node_id`)
);
