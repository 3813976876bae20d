CREATE INDEX "access_requests_raised_idx" ON "access_requests" USING btree ("raised_at");--> statement-breakpoint
CREATE INDEX "access_requests_decided_idx" ON "access_requests" USING btree ("decided_at") WHERE "access_requests"."decided_at" is not null;--> statement-breakpoint
CREATE INDEX "assignments_ending_idx" ON "assignments" USING btree ("end_date") WHERE "assignments"."ended_at" is null and "assignments"."end_date" is not null;--> statement-breakpoint
CREATE INDEX "card_jobs_finished_idx" ON "card_jobs" USING btree ("kind","finished_at") WHERE "card_jobs"."state" = 'succeeded';