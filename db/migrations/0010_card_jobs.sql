CREATE TABLE "card_job_steps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"step" text NOT NULL,
	"outcome" text NOT NULL,
	"detail" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "card_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"self_service" boolean DEFAULT false NOT NULL,
	"state" text NOT NULL,
	"card_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"workstation_id" uuid NOT NULL,
	"requested_by" uuid NOT NULL,
	"nonce_hash" text NOT NULL,
	"issued_locked" boolean DEFAULT false NOT NULL,
	"sealed_puk_candidates" text,
	"step" text,
	"failure" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"last_step_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "card_jobs_kind_ck" CHECK ("card_jobs"."kind" in ('issue', 'renew', 'unlock')),
	CONSTRAINT "card_jobs_state_ck" CHECK ("card_jobs"."state" in ('pending', 'running', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "unlock_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"email" text NOT NULL,
	"code_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"failed_attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "management_key" text;--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "management_algorithm" text DEFAULT 'tdes' NOT NULL;--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "encrypted_puk" text;--> statement-breakpoint
ALTER TABLE "cards" ADD COLUMN "encrypted_pending_puk" text;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "job_id" uuid;--> statement-breakpoint
ALTER TABLE "card_job_steps" ADD CONSTRAINT "card_job_steps_job_id_card_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."card_jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_jobs" ADD CONSTRAINT "card_jobs_card_id_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_jobs" ADD CONSTRAINT "card_jobs_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_jobs" ADD CONSTRAINT "card_jobs_workstation_id_workstations_id_fk" FOREIGN KEY ("workstation_id") REFERENCES "public"."workstations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_jobs" ADD CONSTRAINT "card_jobs_requested_by_accounts_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "unlock_codes" ADD CONSTRAINT "unlock_codes_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "card_job_steps_job_idx" ON "card_job_steps" USING btree ("job_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "card_jobs_live_uq" ON "card_jobs" USING btree ("card_id") WHERE "card_jobs"."state" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "card_jobs_workstation_idx" ON "card_jobs" USING btree ("workstation_id","created_at");--> statement-breakpoint
CREATE INDEX "card_jobs_live_idx" ON "card_jobs" USING btree ("state","last_step_at") WHERE "card_jobs"."state" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "unlock_codes_person_idx" ON "unlock_codes" USING btree ("person_id","created_at");--> statement-breakpoint
CREATE INDEX "unlock_codes_email_idx" ON "unlock_codes" USING btree (lower("email"),"created_at");--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_job_id_card_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."card_jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "certificates_job_idx" ON "certificates" USING btree ("job_id") WHERE "certificates"."job_id" is not null;--> statement-breakpoint
ALTER TABLE "cards" ADD CONSTRAINT "cards_management_key_ck" CHECK ("cards"."management_key" in ('transport', 'derived', 'changing'));--> statement-breakpoint
-- Cards imported into stock hold the key they were imported with.
UPDATE "cards" SET "management_key" = 'transport' WHERE "encrypted_transport_key" IS NOT NULL;
