CREATE TABLE "flow_texts" (
	"flow_id" text NOT NULL,
	"node_id" text NOT NULL,
	"language" text NOT NULL,
	"text" text NOT NULL,
	"updated_at" bigint NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "flow_texts_pkey" PRIMARY KEY("flow_id","node_id","language")
);
