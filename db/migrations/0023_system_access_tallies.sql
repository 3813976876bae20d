CREATE TABLE "person_access_signatures" (
	"person_id" uuid PRIMARY KEY NOT NULL,
	"signature" text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "system_access_tallies" (
	"signature" text[] NOT NULL,
	"ods_codes" text[] NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "person_access_signatures" ADD CONSTRAINT "person_access_signatures_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "system_access_tallies_ods_idx" ON "system_access_tallies" USING gin ("ods_codes");--> statement-breakpoint
CREATE INDEX "assignments_starting_idx" ON "assignments" USING btree ("start_date") WHERE "assignments"."ended_at" is null;--> statement-breakpoint
-- The system-access report's counts (person_access_signatures, system_access_tallies;
-- db/schema/access.ts), kept by triggers in the transaction that assigns, ends or moves an
-- assignment, or changes a position's status, systems or organisation.
--
-- A person's signature: one '<ODS code>:<mask>' element per organisation where they hold an
-- assignment not ended (ended_at null; dates aside, the report corrects for those) of an
-- active position that opens a system, the mask the OR of those positions' systems (bit i for
-- clinicalSystems[i] of db/schema/access.ts: system_access_mask below must list them in the
-- same order), sorted. The tallies count people by signature in delta rows (+1, -1), as the
-- card tallies of 0016 do, folded by the fold-card-counts job and recounted nightly by
-- check-card-counts (system_access_rebuild).
--
-- Who waits for whom, so that no two transactions write a person's signature from what each
-- saw alone (a person whose assignments two transactions change at once, each computing the
-- signature without the other's change, would keep one of the two):
-- - A statement that changed assignments first locks, FOR SHARE, the positions they are of:
--   it waits for a change of one of them under way (whose trigger could not see this
--   statement's assignments), and holds such a change off until it commits. Only then does
--   it read which of the changed assignments grant anything: one that grants nothing (a
--   position that opens no system, or closed; an assignment ended before and after) changes
--   no signature whatever else happens, and its person is left alone (no lock, no write).
-- - Then, as people_org_codes_sync (0022) does: a row of person_access_signatures for each
--   person touched, locked FOR UPDATE in person id order, and only then the signatures
--   computed afresh: a plpgsql statement sees what a transaction it waited for committed.
-- - A change of positions holds the positions' rows already, and locks the people holding
--   them the same way.
-- One expression (no FROM), so that PostgreSQL inlines it into the statements that call it
-- per assignment: written as an aggregate over unnest() it could not be, and each call ran
-- as a function of its own (an insert of 2,000 assignments: 150 ms with the triggers against
-- 65 without; 85 against 35 inlined, on a noisy machine).
CREATE FUNCTION system_access_mask(systems text[]) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ('systmone' = ANY (systems))::integer
       | (('ers' = ANY (systems))::integer << 1)
       | (('pacs' = ANY (systems))::integer << 2)
       | (('sus' = ANY (systems))::integer << 3)
       | (('esr' = ANY (systems))::integer << 4)
$$;
--> statement-breakpoint
-- The organisations of a signature (sorted, as its elements are).
CREATE FUNCTION system_access_codes(signature text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(split_part(e, ':', 1) ORDER BY e), '{}') FROM unnest(signature) AS e
$$;
--> statement-breakpoint
-- The OR of a signature's masks in the organisations `codes` (null: in all of them).
CREATE FUNCTION system_access_signature_mask(signature text[], codes text[]) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(bit_or(split_part(e, ':', 2)::integer), 0) FROM unnest(signature) AS e
   WHERE codes IS NULL OR split_part(e, ':', 1) = ANY (codes)
$$;
--> statement-breakpoint
-- Puts right the kept signatures of these people (see the top for the locks) and writes the
-- tallies' deltas of those whose signature changed.
CREATE FUNCTION system_access_sync(changed uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF changed IS NULL OR cardinality(changed) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO person_access_signatures (person_id, signature)
    SELECT id, '{}'::text[] FROM unnest(changed) AS c(id) ORDER BY id
    ON CONFLICT DO NOTHING;
  PERFORM 1 FROM person_access_signatures WHERE person_id = ANY (changed)
    ORDER BY person_id FOR UPDATE;
  WITH fresh AS (
    SELECT k.person_id, k.signature AS was, coalesce(s.signature, '{}') AS now
      FROM person_access_signatures k
      LEFT JOIN LATERAL (
        SELECT array_agg(o.element ORDER BY o.element) AS signature
          FROM (SELECT p.ods_code || ':' || bit_or(system_access_mask(p.systems)) AS element
                  FROM assignments a JOIN positions p ON p.id = a.position_id
                 WHERE a.person_id = k.person_id AND a.ended_at IS NULL AND p.status = 'active'
                 GROUP BY p.ods_code
                HAVING bit_or(system_access_mask(p.systems)) <> 0) o) s ON true
     WHERE k.person_id = ANY (changed)
  ), moved AS (
    SELECT * FROM fresh WHERE was IS DISTINCT FROM now
  ), counted AS (
    INSERT INTO system_access_tallies (signature, ods_codes, n)
      SELECT was, system_access_codes(was), -count(*)::int FROM moved
       WHERE cardinality(was) > 0 GROUP BY was
      UNION ALL
      SELECT now, system_access_codes(now), count(*)::int FROM moved
       WHERE cardinality(now) > 0 GROUP BY now
  )
  UPDATE person_access_signatures k SET signature = m.now
    FROM moved m WHERE k.person_id = m.person_id;
END;
$$;
--> statement-breakpoint
-- (Transition tables allow no column list: every update fires these triggers, and each
-- looks only at the rows whose columns that matter changed; an ESR import's update of an end
-- date finds none.)
--
-- Assignments changed (`person_ids`, `position_ids`: the rows, before and after, not ended):
-- the positions locked FOR SHARE, then the people whose rows grant something synced.
CREATE FUNCTION system_access_assignments_sync(person_ids uuid[], position_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  granted uuid[];
BEGIN
  IF person_ids IS NULL THEN
    RETURN;
  END IF;
  PERFORM 1 FROM positions WHERE id = ANY (position_ids) ORDER BY id FOR SHARE;
  SELECT array_agg(DISTINCT u.person_id) INTO granted
    FROM unnest(person_ids, position_ids) AS u(person_id, position_id)
    JOIN positions p ON p.id = u.position_id
   WHERE p.status = 'active' AND system_access_mask(p.systems) <> 0;
  PERFORM system_access_sync(granted);
END;
$$;
--> statement-breakpoint
CREATE FUNCTION system_access_assignments_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  person_ids uuid[];
  position_ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(person_id), array_agg(position_id) INTO person_ids, position_ids
      FROM added WHERE ended_at IS NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(person_id), array_agg(position_id) INTO person_ids, position_ids
      FROM removed WHERE ended_at IS NULL;
  ELSE
    -- An update that ended, reopened or moved an assignment not ended before or after.
    SELECT array_agg(person_id), array_agg(position_id) INTO person_ids, position_ids FROM (
      SELECT o.person_id, o.position_id FROM removed o JOIN added n ON n.id = o.id
       WHERE o.ended_at IS NULL
         AND (n.ended_at IS NOT NULL OR n.person_id <> o.person_id OR n.position_id <> o.position_id)
      UNION
      SELECT n.person_id, n.position_id FROM removed o JOIN added n ON n.id = o.id
       WHERE n.ended_at IS NULL
         AND (o.ended_at IS NOT NULL OR n.person_id <> o.person_id OR n.position_id <> o.position_id)) r;
  END IF;
  PERFORM system_access_assignments_sync(person_ids, position_ids);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER assignments_access_added
  AFTER INSERT ON assignments REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION system_access_assignments_changed();
--> statement-breakpoint
CREATE TRIGGER assignments_access_removed
  AFTER DELETE ON assignments REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION system_access_assignments_changed();
--> statement-breakpoint
CREATE TRIGGER assignments_access_changed
  AFTER UPDATE ON assignments
  REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION system_access_assignments_changed();
--> statement-breakpoint
-- Positions whose status, systems or organisation changed (the statement holds their rows):
-- the people holding them, if the position granted anything before or after, synced.
CREATE FUNCTION system_access_positions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  person_ids uuid[];
BEGIN
  SELECT array_agg(DISTINCT a.person_id) INTO person_ids
    FROM removed o JOIN added n ON n.id = o.id
    JOIN assignments a ON a.position_id = n.id AND a.ended_at IS NULL
   WHERE (o.status, o.systems, o.ods_code) IS DISTINCT FROM (n.status, n.systems, n.ods_code)
     AND (o.status = 'active' AND system_access_mask(o.systems) <> 0
          OR n.status = 'active' AND system_access_mask(n.systems) <> 0);
  PERFORM system_access_sync(person_ids);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER positions_access_changed
  AFTER UPDATE ON positions
  REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION system_access_positions_changed();
--> statement-breakpoint
-- Computes every person's signature afresh and puts it, and the tallies, in place of what
-- was kept (only the signatures that differ are written; the tallies are replaced, folded);
-- returns how many people's signatures and how many counts differed (0 when they were right). Holds off
-- changes of assignments and positions meanwhile, as card_tallies_rebuild holds off card
-- moves (the same lock-all-or-none retry). Fills the tables here, after a bulk load
-- (seed-scale), and in the daily check.
CREATE FUNCTION system_access_rebuild() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  differed integer := 0;
  written integer;
  tries integer := 0;
BEGIN
  LOOP
    BEGIN
      LOCK TABLE assignments, positions, person_access_signatures, system_access_tallies
        IN SHARE ROW EXCLUSIVE MODE NOWAIT;
      EXIT;
    EXCEPTION WHEN lock_not_available THEN
      tries := tries + 1;
      IF tries >= 200 THEN
        RAISE EXCEPTION 'the assignments are too busy to be recounted now: try again later'
          USING ERRCODE = 'lock_not_available';
      END IF;
      PERFORM pg_sleep(0.03 + random() * 0.07);
    END;
  END LOOP;
  CREATE TEMP TABLE fresh_access_signatures ON COMMIT DROP AS
    WITH granting AS (
      SELECT id, ods_code, system_access_mask(systems) AS mask FROM positions
       WHERE status = 'active' AND system_access_mask(systems) <> 0
    ), elements AS (
      SELECT a.person_id, g.ods_code || ':' || bit_or(g.mask) AS element
        FROM assignments a JOIN granting g ON g.id = a.position_id
       WHERE a.ended_at IS NULL
       GROUP BY a.person_id, g.ods_code
    )
    SELECT person_id, array_agg(element ORDER BY element) AS signature
      FROM elements GROUP BY person_id;
  CREATE TEMP TABLE fresh_access_tallies ON COMMIT DROP AS
    SELECT signature, count(*)::int AS n FROM fresh_access_signatures GROUP BY signature;
  -- A count wrong is one, however it is wrong (too high, too low, there and not, or not there).
  SELECT count(*) INTO differed
    FROM fresh_access_tallies f
    FULL JOIN (SELECT signature, sum(n)::int AS n FROM system_access_tallies
                GROUP BY 1 HAVING sum(n) <> 0) k ON k.signature = f.signature
   WHERE f.n IS DISTINCT FROM k.n;
  UPDATE person_access_signatures k SET signature = f.signature
    FROM fresh_access_signatures f
   WHERE f.person_id = k.person_id AND k.signature <> f.signature;
  GET DIAGNOSTICS written = ROW_COUNT;
  differed := differed + written;
  UPDATE person_access_signatures k SET signature = '{}'
   WHERE cardinality(k.signature) > 0
     AND NOT EXISTS (SELECT 1 FROM fresh_access_signatures f WHERE f.person_id = k.person_id);
  GET DIAGNOSTICS written = ROW_COUNT;
  differed := differed + written;
  INSERT INTO person_access_signatures (person_id, signature)
    SELECT f.person_id, f.signature FROM fresh_access_signatures f
     WHERE NOT EXISTS (SELECT 1 FROM person_access_signatures k WHERE k.person_id = f.person_id);
  GET DIAGNOSTICS written = ROW_COUNT;
  differed := differed + written;
  DELETE FROM system_access_tallies;
  INSERT INTO system_access_tallies (signature, ods_codes, n)
    SELECT signature, system_access_codes(signature), n FROM fresh_access_tallies;
  DROP TABLE fresh_access_signatures;
  DROP TABLE fresh_access_tallies;
  RETURN differed;
END;
$$;
--> statement-breakpoint
SELECT system_access_rebuild();
