-- The access report's live correction (server/services/reports/system-access.ts) looks up the
-- assignments not started yet and those past their end date (ended daily by the position-
-- expiry job) with their position and person: from the index alone, with these as keys, where
-- reading each from the table took 6 of the report's 11 ms for a trust at national scale the
-- morning after the assignments' end dates (1,564 of them, 1,528 table pages).
DROP INDEX "assignments_ending_idx";--> statement-breakpoint
DROP INDEX "assignments_starting_idx";--> statement-breakpoint
CREATE INDEX "assignments_ending_idx" ON "assignments" USING btree ("end_date","position_id","person_id") WHERE "assignments"."ended_at" is null and "assignments"."end_date" is not null;--> statement-breakpoint
CREATE INDEX "assignments_starting_idx" ON "assignments" USING btree ("start_date","position_id","person_id") WHERE "assignments"."ended_at" is null;