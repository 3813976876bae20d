CREATE TABLE "import_rows" (
	"import_id" uuid NOT NULL,
	"line" integer NOT NULL,
	"key" text NOT NULL,
	"fields" jsonb NOT NULL,
	"plan" text NOT NULL,
	"message" text NOT NULL,
	"person_id" uuid,
	"outcome" text,
	"outcome_message" text,
	CONSTRAINT "import_rows_import_id_line_pk" PRIMARY KEY("import_id","line")
);
--> statement-breakpoint
CREATE TABLE "imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"file_name" text NOT NULL,
	"status" text DEFAULT 'checked' NOT NULL,
	"reason" text,
	"ods_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"row_count" integer NOT NULL,
	"planned" jsonb NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"applied_through_line" integer DEFAULT 0 NOT NULL,
	"outcomes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"applied_by" uuid,
	"apply_started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "imports_kind_ck" CHECK ("imports"."kind" in ('esr', 'card_cancellation')),
	CONSTRAINT "imports_status_ck" CHECK ("imports"."status" in ('checked', 'applying', 'applied'))
);
--> statement-breakpoint
ALTER TABLE "card_flags" ALTER COLUMN "workstation_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "employee_number" text;--> statement-breakpoint
ALTER TABLE "import_rows" ADD CONSTRAINT "import_rows_import_id_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."imports"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_rows" ADD CONSTRAINT "import_rows_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_applied_by_accounts_id_fk" FOREIGN KEY ("applied_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "imports_created_idx" ON "imports" USING btree ("kind","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "people_employee_number_uq" ON "people" USING btree ("employee_number") WHERE "people"."employee_number" is not null;