DROP INDEX "person_organisations_ods_idx";--> statement-breakpoint
CREATE INDEX "people_pending_idx" ON "people" USING btree ("created_at","id") WHERE "people"."status" = 'pending_id_check';--> statement-breakpoint
CREATE INDEX "person_organisations_ods_idx" ON "person_organisations" USING btree ("ods_code","person_id");