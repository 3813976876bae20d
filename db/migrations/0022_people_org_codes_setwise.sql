-- people.org_codes after a change of links (0020, 0021), read for all the changed people in
-- one join rather than by card_tallies_holder_ods() twice a person, and only the people whose
-- codes differ are locked and written. A statement that wrote the codes itself (an ESR
-- import's new people, 2,000 a batch) used to lock every one of them, a WAL record each, and
-- call the function 2,000 times to find nothing to do: 26 ms of the batch's 150.
--
-- Locking still comes first, in id order, and the codes written are read after the lock (a
-- new snapshot: this is plpgsql, each statement its own), as 0021 made it. Skipping a person
-- whose codes match the links this statement sees is safe: the codes can only match when this
-- statement changed nothing about them, and a concurrent change of that person's links is
-- written by its own statement's trigger.
CREATE OR REPLACE FUNCTION people_org_codes_sync(changed uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  stale uuid[];
BEGIN
  SELECT array_agg(p.id ORDER BY p.id) INTO stale
    FROM people p
    CROSS JOIN LATERAL (
      SELECT coalesce(array_agg(o.ods_code ORDER BY o.ods_code), '{}') AS codes
        FROM person_organisations o WHERE o.person_id = p.id) l
   WHERE p.id = ANY (changed) AND p.org_codes IS DISTINCT FROM l.codes;
  IF stale IS NULL THEN
    RETURN;
  END IF;
  PERFORM 1 FROM people WHERE id = ANY (stale) ORDER BY id FOR NO KEY UPDATE;
  UPDATE people p SET org_codes = l.codes
    FROM (SELECT s.id,
                 (SELECT coalesce(array_agg(o.ods_code ORDER BY o.ods_code), '{}')
                    FROM person_organisations o WHERE o.person_id = s.id) AS codes
            FROM unnest(stale) AS s(id)) l
   WHERE p.id = l.id AND p.org_codes IS DISTINCT FROM l.codes;
END;
$$;
