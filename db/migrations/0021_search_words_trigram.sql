CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "access_requests_decided_org_idx" ON "access_requests" USING btree ("ods_code","decided_at","status","raised_at") WHERE "access_requests"."decided_at" is not null;--> statement-breakpoint
CREATE INDEX "people_pending_orgs_idx" ON "people" USING gin ("org_codes") WHERE "people"."status" = 'pending_id_check';--> statement-breakpoint
CREATE INDEX "people_name_words_trgm_idx" ON "people" USING gin ((case when ("people"."family_key" ~ '[-'' ’]' or "people"."given_key" ~ '[-'' ’]') then regexp_replace("people"."family_given_key", '^[^-'' ’]+', '') end) gin_trgm_ops);--> statement-breakpoint
-- Greek's final sigma: name keys made before name-keys.ts wrote ς as σ.
UPDATE people
   SET given_key = replace(given_key, 'ς', 'σ'), family_key = replace(family_key, 'ς', 'σ'),
       family_given_key = replace(family_given_key, 'ς', 'σ'),
       given_family_key = replace(given_family_key, 'ς', 'σ')
 WHERE family_given_key LIKE '%ς%';
--> statement-breakpoint
-- people.org_codes after a change of links (0020), now locking the people first, in id order,
-- and reading their links after the lock: as one UPDATE, a statement that waited for another
-- transaction's lock on a person re-read the row but not its links, and two imports adding
-- an organisation each to one person at once kept one of the two.
CREATE OR REPLACE FUNCTION people_org_codes_sync(changed uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM people WHERE id = ANY (changed) ORDER BY id FOR NO KEY UPDATE;
  UPDATE people p SET org_codes = card_tallies_holder_ods(p.id)
   WHERE p.id = ANY (changed) AND p.org_codes IS DISTINCT FROM card_tallies_holder_ods(p.id);
END;
$$;
