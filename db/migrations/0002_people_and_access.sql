CREATE TABLE "access_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"person_id" uuid NOT NULL,
	"position_id" uuid NOT NULL,
	"ods_code" text NOT NULL,
	"assignment_id" uuid,
	"start_date" date,
	"end_date" date,
	"note" text,
	"status" text DEFAULT 'open' NOT NULL,
	"raised_by" uuid NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"claimed_by" uuid,
	"claimed_until" timestamp with time zone,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"decision_reason" text,
	CONSTRAINT "access_requests_kind_ck" CHECK ("access_requests"."kind" in ('assign', 'remove')),
	CONSTRAINT "access_requests_status_ck" CHECK ("access_requests"."status" in ('open', 'approved', 'rejected', 'withdrawn')),
	CONSTRAINT "access_requests_dates_ck" CHECK ("access_requests"."end_date" is null or "access_requests"."start_date" is null or "access_requests"."end_date" >= "access_requests"."start_date")
);
--> statement-breakpoint
CREATE TABLE "activities" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"position_id" uuid NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"end_note" text,
	"ended_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" uuid,
	"request_id" uuid,
	CONSTRAINT "assignments_dates_ck" CHECK ("assignments"."end_date" is null or "assignments"."end_date" >= "assignments"."start_date")
);
--> statement-breakpoint
CREATE TABLE "job_roles" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "position_activities" (
	"position_id" uuid NOT NULL,
	"code" text NOT NULL,
	CONSTRAINT "position_activities_position_id_code_pk" PRIMARY KEY("position_id","code")
);
--> statement-breakpoint
CREATE TABLE "position_job_roles" (
	"position_id" uuid NOT NULL,
	"code" text NOT NULL,
	CONSTRAINT "position_job_roles_position_id_code_pk" PRIMARY KEY("position_id","code")
);
--> statement-breakpoint
CREATE TABLE "position_workgroups" (
	"position_id" uuid NOT NULL,
	"workgroup_id" uuid NOT NULL,
	CONSTRAINT "position_workgroups_position_id_workgroup_id_pk" PRIMARY KEY("position_id","workgroup_id")
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ods_code" text NOT NULL,
	"name" text NOT NULL,
	"systems" text[] DEFAULT '{}'::text[] NOT NULL,
	"assignable" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"closed_reason" text,
	"closed_at" timestamp with time zone,
	"closed_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" uuid,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "positions_status_ck" CHECK ("positions"."status" in ('active', 'closed')),
	CONSTRAINT "positions_closed_ck" CHECK (("positions"."status" = 'closed') = ("positions"."closed_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "account_activations" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"code_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity_checks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"checked_by" uuid NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"override_reason" text
);
--> statement-breakpoint
CREATE TABLE "identity_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"check_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"type" text NOT NULL,
	"category" text NOT NULL,
	"issuing_country" text NOT NULL,
	"expires_on" date,
	"number_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "people" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" text NOT NULL,
	"given_name" text NOT NULL,
	"middle_names" text,
	"family_name" text NOT NULL,
	"name_on_card" text,
	"date_of_birth" date NOT NULL,
	"email" text,
	"phone" text,
	"status" text DEFAULT 'pending_id_check' NOT NULL,
	"given_key" text NOT NULL,
	"family_key" text NOT NULL,
	"family_given_key" text NOT NULL,
	"given_family_key" text NOT NULL,
	"account_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" uuid,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "people_user_id_ck" CHECK ("people"."user_id" ~ '^[0-9]{12}$'),
	CONSTRAINT "people_status_ck" CHECK (status in ('pending_id_check', 'active', 'suspended', 'closed'))
);
--> statement-breakpoint
CREATE TABLE "person_organisations" (
	"person_id" uuid NOT NULL,
	"ods_code" text NOT NULL,
	CONSTRAINT "person_organisations_person_id_ods_code_pk" PRIMARY KEY("person_id","ods_code")
);
--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_ods_code_organisations_ods_code_fk" FOREIGN KEY ("ods_code") REFERENCES "public"."organisations"("ods_code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_assignment_id_assignments_id_fk" FOREIGN KEY ("assignment_id") REFERENCES "public"."assignments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_raised_by_accounts_id_fk" FOREIGN KEY ("raised_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_claimed_by_accounts_id_fk" FOREIGN KEY ("claimed_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_ended_by_accounts_id_fk" FOREIGN KEY ("ended_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_activities" ADD CONSTRAINT "position_activities_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_activities" ADD CONSTRAINT "position_activities_code_activities_code_fk" FOREIGN KEY ("code") REFERENCES "public"."activities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_job_roles" ADD CONSTRAINT "position_job_roles_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_job_roles" ADD CONSTRAINT "position_job_roles_code_job_roles_code_fk" FOREIGN KEY ("code") REFERENCES "public"."job_roles"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_workgroups" ADD CONSTRAINT "position_workgroups_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_workgroups" ADD CONSTRAINT "position_workgroups_workgroup_id_workgroups_id_fk" FOREIGN KEY ("workgroup_id") REFERENCES "public"."workgroups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_ods_code_organisations_ods_code_fk" FOREIGN KEY ("ods_code") REFERENCES "public"."organisations"("ods_code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_closed_by_accounts_id_fk" FOREIGN KEY ("closed_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_activations" ADD CONSTRAINT "account_activations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_checks" ADD CONSTRAINT "identity_checks_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_checks" ADD CONSTRAINT "identity_checks_checked_by_accounts_id_fk" FOREIGN KEY ("checked_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_documents" ADD CONSTRAINT "identity_documents_check_id_identity_checks_id_fk" FOREIGN KEY ("check_id") REFERENCES "public"."identity_checks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_documents" ADD CONSTRAINT "identity_documents_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "people" ADD CONSTRAINT "people_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "people" ADD CONSTRAINT "people_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_organisations" ADD CONSTRAINT "person_organisations_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_organisations" ADD CONSTRAINT "person_organisations_ods_code_organisations_ods_code_fk" FOREIGN KEY ("ods_code") REFERENCES "public"."organisations"("ods_code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_requests_inbox_idx" ON "access_requests" USING btree ("ods_code","status","raised_at");--> statement-breakpoint
CREATE INDEX "access_requests_person_idx" ON "access_requests" USING btree ("person_id","raised_at");--> statement-breakpoint
CREATE INDEX "access_requests_raised_by_idx" ON "access_requests" USING btree ("raised_by","raised_at");--> statement-breakpoint
CREATE INDEX "assignments_person_idx" ON "assignments" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "assignments_position_idx" ON "assignments" USING btree ("position_id");--> statement-breakpoint
CREATE UNIQUE INDEX "assignments_open_uq" ON "assignments" USING btree ("person_id","position_id") WHERE "assignments"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "positions_ods_idx" ON "positions" USING btree ("ods_code","status");--> statement-breakpoint
CREATE UNIQUE INDEX "positions_name_uq" ON "positions" USING btree ("ods_code",lower("name")) WHERE "positions"."status" = 'active';--> statement-breakpoint
CREATE INDEX "identity_checks_person_idx" ON "identity_checks" USING btree ("person_id","checked_at");--> statement-breakpoint
CREATE INDEX "identity_documents_hash_idx" ON "identity_documents" USING btree ("number_hash");--> statement-breakpoint
CREATE INDEX "identity_documents_check_idx" ON "identity_documents" USING btree ("check_id");--> statement-breakpoint
CREATE UNIQUE INDEX "people_user_id_uq" ON "people" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "people_account_uq" ON "people" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "people_family_given_idx" ON "people" USING btree ("family_given_key" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "people_given_family_idx" ON "people" USING btree ("given_family_key" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "people_order_idx" ON "people" USING btree ("family_key","given_key","id");--> statement-breakpoint
CREATE INDEX "people_email_idx" ON "people" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "people_identity_idx" ON "people" USING btree ("family_key","given_key","date_of_birth");--> statement-breakpoint
CREATE INDEX "person_organisations_ods_idx" ON "person_organisations" USING btree ("ods_code");