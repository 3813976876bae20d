DROP INDEX "people_order_idx";--> statement-breakpoint
DROP INDEX "people_name_words_idx";--> statement-breakpoint
CREATE INDEX "people_order_idx" ON "people" USING btree ("family_key","given_key","id","family_given_key");--> statement-breakpoint
CREATE INDEX "people_name_words_idx" ON "people" USING btree ("family_key","given_key","id","family_given_key") WHERE "people"."family_key" ~ '[-'' ’]' or "people"."given_key" ~ '[-'' ’]';