CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
DROP INDEX "people_pending_idx";--> statement-breakpoint
CREATE INDEX "access_requests_decided_org_idx" ON "access_requests" USING btree ("ods_code","decided_at","status","raised_at") WHERE "access_requests"."decided_at" is not null;--> statement-breakpoint
CREATE INDEX "people_name_words_trgm_idx" ON "people" USING gin ((case when ("people"."family_key" ~ '[-'' ’]' or "people"."given_key" ~ '[-'' ’]') then regexp_replace("people"."family_given_key", '^[^-'' ’]+', '') end) gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "people_pending_idx" ON "people" USING btree ("created_at","id","org_codes") WHERE "people"."status" = 'pending_id_check';