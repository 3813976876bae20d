CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"event_count" bigint NOT NULL,
	"last_event_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_verifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text NOT NULL,
	"requested_by" uuid,
	"started_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone,
	"total" bigint NOT NULL,
	"checked" bigint NOT NULL,
	"legacy_events" bigint DEFAULT 0 NOT NULL,
	"first_broken_id" bigint,
	"problem" text
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "actor_workstation_id" uuid;--> statement-breakpoint
-- Rows written before this migration are the plain SHA-256 chain (version 1). Adding a
-- column with a default does not rewrite rows or fire the append-only triggers. New rows
-- name their version explicitly, so the default goes again.
ALTER TABLE "audit_events" ADD COLUMN "hash_version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "hash_version" DROP DEFAULT;--> statement-breakpoint
-- One guard for every append-only table, naming the table it refused.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();