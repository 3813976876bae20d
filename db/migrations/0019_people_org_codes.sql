DROP INDEX "people_given_family_idx";--> statement-breakpoint
DROP INDEX "people_order_idx";--> statement-breakpoint
DROP INDEX "people_name_words_idx";--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "org_codes" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- Filled before the indexes that hold it are made (each made once, in one sorted pass).
UPDATE "people" p SET "org_codes" = l.codes
  FROM (SELECT person_id, array_agg(ods_code ORDER BY ods_code) AS codes
          FROM person_organisations GROUP BY person_id) l
 WHERE l.person_id = p.id;--> statement-breakpoint
CREATE INDEX "people_given_family_idx" ON "people" USING btree ("given_family_key" text_pattern_ops,"org_codes");--> statement-breakpoint
CREATE INDEX "people_order_idx" ON "people" USING btree ("family_key","given_key","id","family_given_key","org_codes");--> statement-breakpoint
CREATE INDEX "people_name_words_idx" ON "people" USING btree ("family_key","given_key","id","family_given_key","org_codes") WHERE "people"."family_key" ~ '[-'' ’]' or "people"."given_key" ~ '[-'' ’]';
