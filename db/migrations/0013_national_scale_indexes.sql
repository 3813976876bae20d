DROP INDEX "people_order_idx";--> statement-breakpoint
DROP INDEX "person_organisations_ods_idx";--> statement-breakpoint
CREATE INDEX "positions_list_idx" ON "positions" USING btree ("ods_code","name","id");--> statement-breakpoint
CREATE INDEX "card_flags_open_order_idx" ON "card_flags" USING btree ((case "kind"
  when 'pin_blocked' then 0 when 'certificate_expired' then 1
  when 'foreign_certificate' then 2 when 'cancelled_card_in_use' then 2
  when 'suspended_card_in_use' then 2 when 'certificate_revoked' then 2
  when 'certificate_not_chaining' then 2 when 'certificates_differ' then 2
  when 'holder_differs' then 2 when 'return_due' then 3
  when 'unknown_card' then 3 when 'stock_card_in_use' then 3
  when 'pin_last_try' then 4 else 5 end),coalesce(("details" ->> 'notAfter'), '~'),"raised_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "card_flags"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "people_pending_idx" ON "people" USING btree ("created_at","id") WHERE "people"."status" = 'pending_id_check';--> statement-breakpoint
CREATE INDEX "people_name_words_idx" ON "people" USING btree ("family_key","given_key","id","family_given_key") WHERE "people"."family_key" ~ '[-'' ’]' or "people"."given_key" ~ '[-'' ’]';--> statement-breakpoint
CREATE INDEX "people_order_idx" ON "people" USING btree ("family_key","given_key","id","family_given_key");--> statement-breakpoint
CREATE INDEX "person_organisations_ods_idx" ON "person_organisations" USING btree ("ods_code","person_id");