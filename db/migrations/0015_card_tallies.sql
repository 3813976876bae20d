CREATE TABLE "card_expiry_tallies" (
	"holder_ods" text[] NOT NULL,
	"expires_on" date NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "card_flag_tallies" (
	"holder_ods" text[] NOT NULL,
	"kind" text NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "card_state_tallies" (
	"holder_ods" text[] NOT NULL,
	"state" text NOT NULL,
	"card_type" text NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "card_stock_tallies" (
	"location_id" uuid,
	"state" text NOT NULL,
	"card_type" text NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "card_flags" ADD COLUMN "holder_ods" text[];--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "holder_ods" text[];--> statement-breakpoint
CREATE INDEX "card_expiry_tallies_day_idx" ON "card_expiry_tallies" USING btree ("expires_on","holder_ods","n");--> statement-breakpoint
CREATE INDEX "card_flags_holder_idx" ON "card_flags" USING gin ("holder_ods");--> statement-breakpoint
CREATE INDEX "card_flags_unheld_open_idx" ON "card_flags" USING btree ("workstation_id","kind") WHERE "card_flags"."resolved_at" is null and "card_flags"."person_id" is null;--> statement-breakpoint
CREATE INDEX "cards_holder_ods_idx" ON "cards" USING gin ("holder_ods");--> statement-breakpoint
CREATE INDEX "cards_kept_idx" ON "cards" USING btree ("location_id","state","expires_at") WHERE "cards"."person_id" is null;