CREATE TABLE "card_locations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ods_code" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "state_reason" text;--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "state_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "location_id" uuid;--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "encrypted_transport_key" text;--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "ca_id" uuid;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "profile" text;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "der" "bytea";--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "current" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "card_locations" ADD CONSTRAINT "card_locations_ods_code_organisations_ods_code_fk" FOREIGN KEY ("ods_code") REFERENCES "public"."organisations"("ods_code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "card_locations_name_uq" ON "card_locations" USING btree ("ods_code","name");--> statement-breakpoint
ALTER TABLE "cards" ADD CONSTRAINT "cards_location_id_card_locations_id_fk" FOREIGN KEY ("location_id") REFERENCES "public"."card_locations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_ca_id_certificate_authorities_id_fk" FOREIGN KEY ("ca_id") REFERENCES "public"."certificate_authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cards_serial_lower_uq" ON "cards" USING btree (lower("serial"));--> statement-breakpoint
CREATE INDEX "cards_state_idx" ON "cards" USING btree ("state","expires_at");--> statement-breakpoint
CREATE INDEX "cards_location_idx" ON "cards" USING btree ("location_id","state");--> statement-breakpoint
CREATE INDEX "cards_expires_idx" ON "cards" USING btree ("expires_at") WHERE "cards"."expires_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_ca_serial_uq" ON "certificates" USING btree ("ca_id","serial_number");--> statement-breakpoint
CREATE INDEX "certificates_revoked_idx" ON "certificates" USING btree ("ca_id","revoked_at") WHERE "certificates"."revoked_at" is not null;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_revocation_ck" CHECK (("certificates"."revoked_at" is null) = ("certificates"."revocation_reason" is null));--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_revocation_reason_ck" CHECK ("certificates"."revocation_reason" in ('keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold'));--> statement-breakpoint
-- Cards known before the lifecycle: their state dates from their last change, and their
-- expiry is the earliest notAfter of their unrevoked certificates.
UPDATE "cards" SET "state_changed_at" = "updated_at";--> statement-breakpoint
UPDATE "cards" SET "expires_at" = (
  SELECT min("not_after") FROM "certificates"
  WHERE "certificates"."card_id" = "cards"."id" AND "certificates"."revoked_at" IS NULL
);
