-- The dashboard's counts (card_state_tallies, card_expiry_tallies, card_flag_tallies,
-- card_stock_tallies;
-- db/schema/cards.ts), kept by triggers in the transaction that moves a card, raises or
-- resolves a flag, or changes whom a holder works for.
-- Every row is a delta (+1, -1), so writers never wait on one another for a count row; the
-- fold-card-counts job folds them. Held cards and their holders' flags are counted by the
-- holder's set of organisations, cards with no holder by location (flags of unknown cards
-- are few, and counted from their table). A holder's set is their organisations' ODS codes, sorted.
--
-- Each card and flag carries its holder's set (holder_ods), and the tallies count it under
-- that set, so a count moves exactly as the row's set does. Who waits for whom, so that a
-- set is never read while a change of it is under way:
-- - A card or flag given a holder (written, or passed to another) reads the set after locking
--   the holder's row FOR UPDATE: it waits for a statement that added a link (whose foreign
--   key holds the row FOR KEY SHARE) or removed one, or changed their cards (below).
-- - A change of links locks, FOR NO KEY UPDATE, the rows of the people who hold cards or
--   flags and of those who lost a link, then their cards' and flags' rows, in the order a
--   card's own change takes them (its row first), and moves those whose set changed.
-- - Any other change of a card or flag (state, expiry, kind) holds its own row, which a change
--   of links locks too; it never waits on the holder's row, which closing a person locks
--   before their cards (attack-lifecycle-locks).
-- No advisory locks: a statement writing thousands of cards would exhaust the lock table.

CREATE FUNCTION card_tallies_holder_ods(holder uuid) RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(ods_code ORDER BY ods_code), '{}')
    FROM person_organisations WHERE person_id = holder
$$;
--> statement-breakpoint
-- The UK day a card expires on, as the dashboard's buckets count days (server/services/dates.ts).
CREATE FUNCTION card_tallies_day(expires timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
  SELECT (expires AT TIME ZONE 'Europe/London')::date
$$;
--> statement-breakpoint
CREATE FUNCTION card_tallies_in_use(state text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT state IN ('issued_locked', 'active', 'blocked', 'suspended')
$$;
--> statement-breakpoint
CREATE FUNCTION card_tallies_card_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.person_id IS NULL THEN
    INSERT INTO card_stock_tallies (location_id, state, card_type, n)
      VALUES (OLD.location_id, OLD.state, OLD.card_type, -1);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.person_id IS NULL THEN
    INSERT INTO card_stock_tallies (location_id, state, card_type, n)
      VALUES (NEW.location_id, NEW.state, NEW.card_type, 1);
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.person_id IS NOT NULL THEN
    INSERT INTO card_state_tallies (holder_ods, state, card_type, n)
      VALUES (OLD.holder_ods, OLD.state, OLD.card_type, -1);
    IF card_tallies_in_use(OLD.state) AND OLD.expires_at IS NOT NULL THEN
      INSERT INTO card_expiry_tallies (holder_ods, expires_on, n)
        VALUES (OLD.holder_ods, card_tallies_day(OLD.expires_at), -1);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.person_id IS NOT NULL THEN
    INSERT INTO card_state_tallies (holder_ods, state, card_type, n)
      VALUES (NEW.holder_ods, NEW.state, NEW.card_type, 1);
    IF card_tallies_in_use(NEW.state) AND NEW.expires_at IS NOT NULL THEN
      INSERT INTO card_expiry_tallies (holder_ods, expires_on, n)
        VALUES (NEW.holder_ods, card_tallies_day(NEW.expires_at), 1);
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A card or flag carries its holder's organisations (holder_ods), set here as it is written
-- or changes hands (under the holder's row lock: see the top) and by card_tallies_relink.
CREATE FUNCTION card_tallies_set_holder() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.person_id IS NULL THEN
    NEW.holder_ods := NULL;
  ELSE
    PERFORM 1 FROM people WHERE id = NEW.person_id FOR UPDATE;
    NEW.holder_ods := card_tallies_holder_ods(NEW.person_id);
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER cards_holder
  BEFORE INSERT OR UPDATE OF person_id ON cards
  FOR EACH ROW EXECUTE FUNCTION card_tallies_set_holder();
--> statement-breakpoint
CREATE TRIGGER cards_tallies_added_removed
  AFTER INSERT OR DELETE ON cards
  FOR EACH ROW EXECUTE FUNCTION card_tallies_card_moved();
--> statement-breakpoint
CREATE TRIGGER cards_tallies_moved
  AFTER UPDATE OF person_id, state, expires_at, location_id, card_type ON cards
  FOR EACH ROW
  WHEN (OLD.person_id IS DISTINCT FROM NEW.person_id OR OLD.state IS DISTINCT FROM NEW.state
        OR OLD.expires_at IS DISTINCT FROM NEW.expires_at OR OLD.card_type IS DISTINCT FROM NEW.card_type
        OR OLD.person_id IS NULL AND OLD.location_id IS DISTINCT FROM NEW.location_id)
  EXECUTE FUNCTION card_tallies_card_moved();
--> statement-breakpoint
CREATE FUNCTION card_tallies_flag_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.person_id IS NOT NULL AND OLD.resolved_at IS NULL THEN
    INSERT INTO card_flag_tallies (holder_ods, kind, n) VALUES (OLD.holder_ods, OLD.kind, -1);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.person_id IS NOT NULL AND NEW.resolved_at IS NULL THEN
    INSERT INTO card_flag_tallies (holder_ods, kind, n) VALUES (NEW.holder_ods, NEW.kind, 1);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER card_flags_holder
  BEFORE INSERT OR UPDATE OF person_id ON card_flags
  FOR EACH ROW EXECUTE FUNCTION card_tallies_set_holder();
--> statement-breakpoint
CREATE TRIGGER card_flags_tallies_added_removed
  AFTER INSERT OR DELETE ON card_flags
  FOR EACH ROW EXECUTE FUNCTION card_tallies_flag_moved();
--> statement-breakpoint
CREATE TRIGGER card_flags_tallies_moved
  AFTER UPDATE OF person_id, kind, resolved_at ON card_flags
  FOR EACH ROW
  WHEN (OLD.person_id IS DISTINCT FROM NEW.person_id OR OLD.kind IS DISTINCT FROM NEW.kind
        OR (OLD.resolved_at IS NULL) <> (NEW.resolved_at IS NULL))
  EXECUTE FUNCTION card_tallies_flag_moved();
--> statement-breakpoint
-- A statement changed the links of these people (`removed`: those who lost one): moves the
-- cards and flags of those among them who hold any from the set they carry to the one the
-- holder has now (see the top for the locks).
CREATE FUNCTION card_tallies_relink(changed uuid[], removed uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  holders uuid[];
BEGIN
  SELECT array_agg(DISTINCT person_id ORDER BY person_id) INTO holders FROM (
    SELECT person_id FROM cards WHERE person_id = ANY (changed)
    UNION ALL
    SELECT person_id FROM card_flags WHERE person_id = ANY (changed)
  ) h;
  IF holders IS NULL AND removed IS NULL THEN
    RETURN;
  END IF;
  PERFORM 1 FROM people WHERE id = ANY (holders) OR id = ANY (removed)
    ORDER BY id FOR NO KEY UPDATE;
  -- Again, after the lock: a card given meanwhile to one of them is now in sight.
  SELECT array_agg(DISTINCT person_id ORDER BY person_id) INTO holders FROM (
    SELECT person_id FROM cards WHERE person_id = ANY (changed)
    UNION ALL
    SELECT person_id FROM card_flags WHERE person_id = ANY (changed)
  ) h;
  IF holders IS NULL THEN
    RETURN;
  END IF;
  PERFORM 1 FROM cards WHERE person_id = ANY (holders) ORDER BY id FOR NO KEY UPDATE;
  PERFORM 1 FROM card_flags WHERE person_id = ANY (holders) ORDER BY id FOR NO KEY UPDATE;
  WITH sets AS (
    SELECT h.person_id, card_tallies_holder_ods(h.person_id) AS now_ods
      FROM unnest(holders) AS h(person_id)
  ), moved_cards AS (
    UPDATE cards k SET holder_ods = s.now_ods
      FROM sets s
     WHERE k.person_id = s.person_id AND k.holder_ods IS DISTINCT FROM s.now_ods
    RETURNING s.now_ods, (SELECT c.holder_ods FROM cards c WHERE c.id = k.id) AS was_ods,
              k.state, k.card_type, k.expires_at
  ), moved_flags AS (
    UPDATE card_flags f SET holder_ods = s.now_ods
      FROM sets s
     WHERE f.person_id = s.person_id AND f.holder_ods IS DISTINCT FROM s.now_ods
    RETURNING s.now_ods, (SELECT g.holder_ods FROM card_flags g WHERE g.id = f.id) AS was_ods,
              f.kind, f.resolved_at
  ), flags AS (
    INSERT INTO card_flag_tallies (holder_ods, kind, n)
      SELECT was_ods, kind, -count(*) FROM moved_flags WHERE resolved_at IS NULL GROUP BY 1, 2
      UNION ALL
      SELECT now_ods, kind, count(*) FROM moved_flags WHERE resolved_at IS NULL GROUP BY 1, 2
  ), states AS (
    INSERT INTO card_state_tallies (holder_ods, state, card_type, n)
      SELECT was_ods, state, card_type, -count(*) FROM moved_cards GROUP BY 1, 2, 3
      UNION ALL
      SELECT now_ods, state, card_type, count(*) FROM moved_cards GROUP BY 1, 2, 3
  )
  INSERT INTO card_expiry_tallies (holder_ods, expires_on, n)
    SELECT was_ods, card_tallies_day(expires_at), -count(*) FROM moved_cards
     WHERE card_tallies_in_use(state) AND expires_at IS NOT NULL GROUP BY 1, 2
    UNION ALL
    SELECT now_ods, card_tallies_day(expires_at), count(*) FROM moved_cards
     WHERE card_tallies_in_use(state) AND expires_at IS NOT NULL GROUP BY 1, 2;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION card_tallies_links_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM card_tallies_relink((SELECT array_agg(DISTINCT person_id) FROM added), NULL);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION card_tallies_links_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM card_tallies_relink(
    (SELECT array_agg(DISTINCT person_id) FROM removed),
    (SELECT array_agg(DISTINCT person_id) FROM removed));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION card_tallies_links_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM card_tallies_relink(
    (SELECT array_agg(DISTINCT person_id) FROM (SELECT person_id FROM removed UNION SELECT person_id FROM added) p),
    (SELECT array_agg(DISTINCT person_id) FROM removed));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER person_organisations_tallies_added
  AFTER INSERT ON person_organisations REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION card_tallies_links_added();
--> statement-breakpoint
CREATE TRIGGER person_organisations_tallies_removed
  AFTER DELETE ON person_organisations REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION card_tallies_links_removed();
--> statement-breakpoint
CREATE TRIGGER person_organisations_tallies_changed
  AFTER UPDATE ON person_organisations REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION card_tallies_links_changed();
--> statement-breakpoint
-- Counts every card and open flag afresh and replaces the tallies with the result, days before
-- `fold_before` folded into one '-infinity' row per set (as the fold-card-counts job folds them:
-- give the same day, today - 7, as a day before the last fold's makes its folded rows differ);
-- and sets each card's and flag's holder_ods afresh; returns how many counts (and flags' sets) differed
-- from what they said (0 when they were right). Holds off card moves and link changes meanwhile, as a
-- count taken while they go on would be wrong. Fills the tallies here, after a bulk load, and
-- in the daily check.
CREATE FUNCTION card_tallies_rebuild(fold_before date DEFAULT '-infinity') RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  differed integer;
  tries integer := 0;
BEGIN
  -- Every table it reads or replaces, SHARE ROW EXCLUSIVE (writers, a fold and another
  -- rebuild wait), all at once or none: a rebuild that held one table while waiting for the
  -- next deadlocked with a change of links (an ESR import) that wrote them in another order,
  -- and one that replaced the tallies under a fold doubled them. So it never waits holding a
  -- lock; it lets go and tries again, for up to about 15 seconds.
  LOOP
    BEGIN
      LOCK TABLE person_organisations, cards, card_flags, card_state_tallies,
                 card_expiry_tallies, card_flag_tallies, card_stock_tallies
        IN SHARE ROW EXCLUSIVE MODE NOWAIT;
      EXIT;
    EXCEPTION WHEN lock_not_available THEN
      tries := tries + 1;
      IF tries >= 200 THEN
        RAISE EXCEPTION 'the cards are too busy to be recounted now: try again later'
          USING ERRCODE = 'lock_not_available';
      END IF;
      PERFORM pg_sleep(0.03 + random() * 0.07);
    END;
  END LOOP;
  CREATE TEMP TABLE fresh_state_tallies ON COMMIT DROP AS
    WITH sets AS (
      SELECT person_id, array_agg(ods_code ORDER BY ods_code) AS ods
        FROM person_organisations GROUP BY person_id
    )
    SELECT coalesce(s.ods, '{}') AS holder_ods, k.state, k.card_type, count(*)::int AS n
      FROM cards k LEFT JOIN sets s ON s.person_id = k.person_id
     WHERE k.person_id IS NOT NULL GROUP BY 1, 2, 3;
  CREATE TEMP TABLE fresh_expiry_tallies ON COMMIT DROP AS
    WITH sets AS (
      SELECT person_id, array_agg(ods_code ORDER BY ods_code) AS ods
        FROM person_organisations GROUP BY person_id
    )
    SELECT coalesce(s.ods, '{}') AS holder_ods,
           CASE WHEN card_tallies_day(k.expires_at) < fold_before THEN '-infinity'::date
                ELSE card_tallies_day(k.expires_at) END AS expires_on,
           count(*)::int AS n
      FROM cards k LEFT JOIN sets s ON s.person_id = k.person_id
     WHERE k.person_id IS NOT NULL AND card_tallies_in_use(k.state) AND k.expires_at IS NOT NULL
     GROUP BY 1, 2;
  CREATE TEMP TABLE fresh_flag_tallies ON COMMIT DROP AS
    WITH sets AS (
      SELECT person_id, array_agg(ods_code ORDER BY ods_code) AS ods
        FROM person_organisations GROUP BY person_id
    )
    SELECT coalesce(s.ods, '{}') AS holder_ods, f.kind, count(*)::int AS n
      FROM card_flags f LEFT JOIN sets s ON s.person_id = f.person_id
     WHERE f.person_id IS NOT NULL AND f.resolved_at IS NULL GROUP BY 1, 2;
  CREATE TEMP TABLE fresh_stock_tallies ON COMMIT DROP AS
    SELECT location_id, state, card_type, count(*)::int AS n FROM cards WHERE person_id IS NULL
     GROUP BY 1, 2, 3;
  SELECT count(*) INTO differed FROM (
    (SELECT location_id, state, card_type, n FROM fresh_stock_tallies
     EXCEPT SELECT location_id, state, card_type, sum(n)::int FROM card_stock_tallies
             GROUP BY 1, 2, 3 HAVING sum(n) <> 0)
    UNION ALL
    (SELECT location_id, state, card_type, sum(n)::int FROM card_stock_tallies
      GROUP BY 1, 2, 3 HAVING sum(n) <> 0
     EXCEPT SELECT location_id, state, card_type, n FROM fresh_stock_tallies)
  ) d;
  SELECT differed + count(*) INTO differed FROM (
    (SELECT holder_ods, kind, n FROM fresh_flag_tallies
     EXCEPT SELECT holder_ods, kind, sum(n)::int FROM card_flag_tallies GROUP BY 1, 2 HAVING sum(n) <> 0)
    UNION ALL
    (SELECT holder_ods, kind, sum(n)::int FROM card_flag_tallies GROUP BY 1, 2 HAVING sum(n) <> 0
     EXCEPT SELECT holder_ods, kind, n FROM fresh_flag_tallies)
  ) d;
  SELECT differed + count(*) INTO differed FROM (
    (SELECT holder_ods, state, card_type, n FROM fresh_state_tallies
     EXCEPT SELECT holder_ods, state, card_type, sum(n)::int FROM card_state_tallies
             GROUP BY 1, 2, 3 HAVING sum(n) <> 0)
    UNION ALL
    (SELECT holder_ods, state, card_type, sum(n)::int FROM card_state_tallies
      GROUP BY 1, 2, 3 HAVING sum(n) <> 0
     EXCEPT SELECT holder_ods, state, card_type, n FROM fresh_state_tallies)
  ) d;
  WITH kept AS (
    SELECT holder_ods, CASE WHEN expires_on < fold_before THEN '-infinity'::date ELSE expires_on END AS expires_on,
           sum(n)::int AS n
      FROM card_expiry_tallies GROUP BY 1, 2 HAVING sum(n) <> 0
  )
  SELECT differed + count(*) INTO differed FROM (
    (SELECT holder_ods, expires_on, n FROM fresh_expiry_tallies EXCEPT SELECT * FROM kept)
    UNION ALL
    (SELECT * FROM kept EXCEPT SELECT holder_ods, expires_on, n FROM fresh_expiry_tallies)
  ) d;
  WITH sets AS (
    SELECT person_id, array_agg(ods_code ORDER BY ods_code) AS ods
      FROM person_organisations GROUP BY person_id
  ), fixed AS (
    UPDATE card_flags f
       SET holder_ods = CASE WHEN f.person_id IS NULL THEN NULL ELSE coalesce(s.ods, '{}') END
      FROM card_flags g LEFT JOIN sets s ON s.person_id = g.person_id
     WHERE g.id = f.id
       AND f.holder_ods IS DISTINCT FROM (CASE WHEN f.person_id IS NULL THEN NULL ELSE coalesce(s.ods, '{}') END)
    RETURNING 1
  )
  SELECT differed + count(*) INTO differed FROM fixed;
  WITH sets AS (
    SELECT person_id, array_agg(ods_code ORDER BY ods_code) AS ods
      FROM person_organisations GROUP BY person_id
  ), fixed AS (
    UPDATE cards k
       SET holder_ods = coalesce(s.ods, '{}')
      FROM cards c LEFT JOIN sets s ON s.person_id = c.person_id
     WHERE c.id = k.id AND k.person_id IS NOT NULL
       AND k.holder_ods IS DISTINCT FROM coalesce(s.ods, '{}')
    RETURNING 1
  )
  SELECT differed + count(*) INTO differed FROM fixed;
  UPDATE cards SET holder_ods = NULL WHERE person_id IS NULL AND holder_ods IS NOT NULL;
  DELETE FROM card_stock_tallies;
  INSERT INTO card_stock_tallies SELECT * FROM fresh_stock_tallies;
  DELETE FROM card_flag_tallies;
  INSERT INTO card_flag_tallies SELECT * FROM fresh_flag_tallies;
  DELETE FROM card_state_tallies;
  INSERT INTO card_state_tallies SELECT * FROM fresh_state_tallies;
  DELETE FROM card_expiry_tallies;
  INSERT INTO card_expiry_tallies SELECT * FROM fresh_expiry_tallies;
  DROP TABLE fresh_stock_tallies;
  DROP TABLE fresh_flag_tallies;
  DROP TABLE fresh_state_tallies;
  DROP TABLE fresh_expiry_tallies;
  RETURN differed;
END;
$$;
--> statement-breakpoint
SELECT card_tallies_rebuild();
