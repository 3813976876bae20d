-- people.org_codes is a copy of the person's person_organisations (sorted ODS codes), kept
-- here by the statement that changes the links, so that people search tests a name's
-- organisations from the name indexes alone. A person written with the right codes already
-- (an ESR import's new people) is not written again.
CREATE FUNCTION people_org_codes_sync(changed uuid[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE people p SET org_codes = card_tallies_holder_ods(p.id)
   WHERE p.id = ANY (changed) AND p.org_codes IS DISTINCT FROM card_tallies_holder_ods(p.id)
$$;
--> statement-breakpoint
CREATE FUNCTION people_org_codes_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM people_org_codes_sync((SELECT array_agg(DISTINCT person_id) FROM added));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION people_org_codes_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM people_org_codes_sync((SELECT array_agg(DISTINCT person_id) FROM removed));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION people_org_codes_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM people_org_codes_sync((SELECT array_agg(DISTINCT person_id)
    FROM (SELECT person_id FROM removed UNION SELECT person_id FROM added) p));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER person_organisations_codes_added
  AFTER INSERT ON person_organisations REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION people_org_codes_added();
--> statement-breakpoint
CREATE TRIGGER person_organisations_codes_removed
  AFTER DELETE ON person_organisations REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION people_org_codes_removed();
--> statement-breakpoint
CREATE TRIGGER person_organisations_codes_changed
  AFTER UPDATE ON person_organisations REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION people_org_codes_changed();
