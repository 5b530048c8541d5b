CREATE TABLE `crm_menu_daily` (
	`day` integer NOT NULL,
	`channel` text NOT NULL,
	`flow_id` text NOT NULL,
	`node_id` text NOT NULL,
	`views` integer DEFAULT 0 NOT NULL,
	`picks` text DEFAULT '{}' NOT NULL,
	`paged_views` integer DEFAULT 0 NOT NULL,
	`invalid_views` integer DEFAULT 0 NOT NULL,
	`menu_arrivals` integer DEFAULT 0 NOT NULL,
	`detour_arrivals` integer DEFAULT 0 NOT NULL,
	`shortcut_arrivals` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `channel`, `flow_id`, `node_id`)
);
