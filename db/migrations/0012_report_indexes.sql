CREATE INDEX "access_requests_raised_idx" ON "access_requests" USING btree ("raised_at");--> statement-breakpoint
CREATE INDEX "access_requests_decided_idx" ON "access_requests" USING btree ("decided_at") WHERE "access_requests"."decided_at" is not null;--> statement-breakpoint
CREATE INDEX "assignments_held_idx" ON "assignments" USING btree ("position_id","person_id","start_date","end_date") WHERE "assignments"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "assignments_ending_idx" ON "assignments" USING btree ("end_date") WHERE "assignments"."ended_at" is null and "assignments"."end_date" is not null;--> statement-breakpoint
CREATE INDEX "card_jobs_unlocks_idx" ON "card_jobs" USING btree ("finished_at","self_service") WHERE "card_jobs"."kind" = 'unlock' and "card_jobs"."state" = 'succeeded';--> statement-breakpoint
CREATE INDEX "card_jobs_unlocks_person_idx" ON "card_jobs" USING btree ("person_id","finished_at","self_service") WHERE "card_jobs"."kind" = 'unlock' and "card_jobs"."state" = 'succeeded';--> statement-breakpoint
CREATE INDEX "cards_holder_report_idx" ON "cards" USING btree ("person_id","state","card_type","expires_at");