CREATE TABLE "card_flags" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"card_serial" text NOT NULL,
	"kind" text NOT NULL,
	"certificate_sha256" text DEFAULT '' NOT NULL,
	"person_id" uuid,
	"details" jsonb NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"workstation_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "card_sightings" (
	"card_serial" text PRIMARY KEY NOT NULL,
	"observation_id" bigint NOT NULL,
	"workstation_id" uuid NOT NULL,
	"observed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cards" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"serial" text NOT NULL,
	"card_type" text DEFAULT 'PIV' NOT NULL,
	"atr" text,
	"person_id" uuid,
	"state" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cards_state_ck" CHECK ("cards"."state" in ('in_stock', 'issued_locked', 'active', 'blocked', 'suspended', 'cancelled', 'returned', 'destroyed'))
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"card_id" uuid,
	"person_id" uuid,
	"slot" text,
	"serial_number" text NOT NULL,
	"subject" text NOT NULL,
	"issuer" text NOT NULL,
	"sha256" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "card_observations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workstation_id" uuid NOT NULL,
	"idempotency_key" uuid NOT NULL,
	"sequence" bigint NOT NULL,
	"kind" text NOT NULL,
	"reader" text NOT NULL,
	"atr" text,
	"card_serial" text,
	"observed_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"body" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workstations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ods_code" text NOT NULL,
	"name" text NOT NULL,
	"location" text,
	"status" text NOT NULL,
	"enrolment_code_hash" text,
	"enrolment_expires_at" timestamp with time zone,
	"enrolment_code_used_at" timestamp with time zone,
	"credential_hash" text,
	"enrolled_at" timestamp with time zone,
	"hostname" text,
	"last_seen_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" uuid,
	CONSTRAINT "workstations_status_ck" CHECK ("workstations"."status" in ('awaiting_enrolment', 'enrolled', 'revoked'))
);
--> statement-breakpoint
ALTER TABLE "card_flags" ADD CONSTRAINT "card_flags_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_flags" ADD CONSTRAINT "card_flags_workstation_id_workstations_id_fk" FOREIGN KEY ("workstation_id") REFERENCES "public"."workstations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_sightings" ADD CONSTRAINT "card_sightings_observation_id_card_observations_id_fk" FOREIGN KEY ("observation_id") REFERENCES "public"."card_observations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_sightings" ADD CONSTRAINT "card_sightings_workstation_id_workstations_id_fk" FOREIGN KEY ("workstation_id") REFERENCES "public"."workstations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards" ADD CONSTRAINT "cards_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_card_id_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_observations" ADD CONSTRAINT "card_observations_workstation_id_workstations_id_fk" FOREIGN KEY ("workstation_id") REFERENCES "public"."workstations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workstations" ADD CONSTRAINT "workstations_ods_code_organisations_ods_code_fk" FOREIGN KEY ("ods_code") REFERENCES "public"."organisations"("ods_code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workstations" ADD CONSTRAINT "workstations_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "card_flags_open_uq" ON "card_flags" USING btree ("card_serial","kind","certificate_sha256") WHERE "card_flags"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "card_flags_list_idx" ON "card_flags" USING btree ("resolved_at","raised_at");--> statement-breakpoint
CREATE INDEX "card_flags_person_idx" ON "card_flags" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_serial_uq" ON "cards" USING btree ("serial");--> statement-breakpoint
CREATE INDEX "cards_person_idx" ON "cards" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_sha256_uq" ON "certificates" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "certificates_card_idx" ON "certificates" USING btree ("card_id");--> statement-breakpoint
CREATE INDEX "certificates_not_after_idx" ON "certificates" USING btree ("not_after");--> statement-breakpoint
CREATE UNIQUE INDEX "card_observations_key_uq" ON "card_observations" USING btree ("workstation_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "card_observations_card_idx" ON "card_observations" USING btree ("card_serial","observed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "workstations_name_uq" ON "workstations" USING btree ("ods_code",lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "workstations_code_uq" ON "workstations" USING btree ("enrolment_code_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "workstations_credential_uq" ON "workstations" USING btree ("credential_hash");