CREATE TABLE "call_dials" (
	"call_id" text NOT NULL,
	"attempt" bigint NOT NULL,
	"at" bigint NOT NULL,
	CONSTRAINT "call_dials_pkey" PRIMARY KEY("call_id","attempt")
);
--> statement-breakpoint
CREATE INDEX "call_dials_at_idx" ON "call_dials" USING btree ("at");