-- Read models stay true: written only by their refreshers, and passport_overview
-- refreshed by the writes to its sources in the same transaction.
--
-- 1. Guard. A statement-level BEFORE trigger on each read-model table refuses every
--    INSERT, UPDATE, DELETE and TRUNCATE unless the transaction-local setting
--    strata.read_model_writer names that table. Only the refreshers set it, for the
--    duration of their write, while holding the model's advisory lock:
--    passport_overview_refresh() below, and pipelines/read_models/sync.py:locked()
--    (event_sales). It guards against mistakes, not against a superuser.
-- 2. One refresher of passport_overview: passport_overview_refresh(scope) takes the
--    model's advisory lock (pipelines/core/locks.py PASSPORT_OVERVIEW, the same key; a
--    test checks they agree) and makes the rows of the scope (NULL: every row) equal
--    passport_overview_rows(scope) in one statement: inserts the missing rows, updates
--    those that differ, deletes those whose passport is gone. Joins, not INSERT ... ON
--    CONFLICT: a conflict costs a speculative insertion per row, about three times the
--    whole refresh on 100k unchanged rows; the lock already keeps other writers out. Python's
--    refresh_passport_overview / rebuild_passport_overview call it, and so do the triggers.
-- 3. Follow the sources. Statement-level AFTER triggers with transition tables on
--    passport, maintenance, sign (insert, update, delete), category and profile (update:
--    a referenced row cannot be deleted) refresh the passports the statement touched:
--    one refresh per statement, set-based, whatever the number of rows. They never join
--    new_rows to old_rows (the planner pitfall of 0004's comment): UNION / EXCEPT of the
--    passport ids only. During a layer load (strata.importing on) the loader refreshes
--    every passport of the layer itself, once, after all writes (loaded_layer ->
--    refresh_passport_overview), so the triggers leave those alone and refresh only a
--    passport a child moved away from (old passport ids EXCEPT new ones): the layer need
--    not hold that passport. Deletes refresh in every case.
-- All these triggers fire ALWAYS: the load writes in replica mode (0013), and replica
-- mode must not skip them (nor make the load fall back to row-by-row key checks).

CREATE FUNCTION strata_refuse_read_model_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('strata.read_model_writer', true), '') IS DISTINCT FROM TG_TABLE_NAME THEN
        RAISE EXCEPTION '% is a read model: only its refresher writes it (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege', HINT = TG_ARGV[0];
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER passport_overview_refuse_writes
BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON passport_overview
FOR EACH STATEMENT EXECUTE FUNCTION strata_refuse_read_model_write(
    'Edit its sources instead (passport, maintenance, sign, category, profile): each write refreshes '
    'the affected rows in the same transaction. To rebuild it, materialize the passport_overview asset '
    'or call passport_overview_refresh(NULL).');
CREATE TRIGGER event_sales_refuse_writes
BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON event_sales
FOR EACH STATEMENT EXECUTE FUNCTION strata_refuse_read_model_write(
    'It follows billig: run `strata billig refresh` or materialize the event_sales asset.');
ALTER TABLE passport_overview ENABLE ALWAYS TRIGGER passport_overview_refuse_writes;
ALTER TABLE event_sales ENABLE ALWAYS TRIGGER event_sales_refuse_writes;

-- plan_cache_mode: plan each call for its own scope (a handful of ids, or NULL for all);
-- a generic plan cannot tell the two apart and would read every passport.
CREATE FUNCTION passport_overview_refresh(scope bigint[])
RETURNS TABLE (inserted bigint, updated bigint, deleted bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    previous constant text := coalesce(current_setting('strata.read_model_writer', true), '');
BEGIN
    IF scope IS NOT NULL AND cardinality(scope) = 0 THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(6004514643731611665);  -- locks.PASSPORT_OVERVIEW
    PERFORM set_config('strata.read_model_writer', 'passport_overview', true);
    RETURN QUERY
    WITH expected AS MATERIALIZED (SELECT * FROM passport_overview_rows(scope)),
    removed AS (
        DELETE FROM passport_overview AS stored
        WHERE (scope IS NULL OR stored.canonical_pk = ANY (scope))
          AND NOT EXISTS (SELECT FROM expected e WHERE e.canonical_pk = stored.canonical_pk)
        RETURNING 1),
    changed AS (
        UPDATE passport_overview AS stored
        SET (canonical_source, ext_id, name, category_name, inspector_name, maintenance_count,
             last_maintenance, total_cost, sign_count, synced_at)
          = ROW(e.canonical_source, e.ext_id, e.name, e.category_name, e.inspector_name,
                e.maintenance_count, e.last_maintenance, e.total_cost, e.sign_count, now())
        FROM expected e
        WHERE stored.canonical_pk = e.canonical_pk
          AND (stored.canonical_source, stored.ext_id, stored.name, stored.category_name,
               stored.inspector_name, stored.maintenance_count, stored.last_maintenance,
               stored.total_cost, stored.sign_count)
              IS DISTINCT FROM
              (e.canonical_source, e.ext_id, e.name, e.category_name, e.inspector_name,
               e.maintenance_count, e.last_maintenance, e.total_cost, e.sign_count)
        RETURNING 1),
    added AS (
        INSERT INTO passport_overview (
            canonical_pk, canonical_source, ext_id, name, category_name, inspector_name,
            maintenance_count, last_maintenance, total_cost, sign_count)
        SELECT e.canonical_pk, e.canonical_source, e.ext_id, e.name, e.category_name, e.inspector_name,
               e.maintenance_count, e.last_maintenance, e.total_cost, e.sign_count
        FROM expected e
        WHERE NOT EXISTS (SELECT FROM passport_overview stored WHERE stored.canonical_pk = e.canonical_pk)
        RETURNING 1)
    SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM changed), (SELECT count(*) FROM removed);
    PERFORM set_config('strata.read_model_writer', previous, true);
END
$$;

CREATE FUNCTION passport_overview_follow_passport() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM passport_overview_refresh(ARRAY(SELECT id FROM old_rows));
    ELSIF coalesce(current_setting('strata.importing', true), '') <> 'on' THEN
        PERFORM passport_overview_refresh(ARRAY(SELECT id FROM new_rows));
    END IF;
    RETURN NULL;
END
$$;

-- maintenance and sign: the passports their rows belong to (before and after an update).
CREATE FUNCTION passport_overview_follow_child() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    importing constant boolean := coalesce(current_setting('strata.importing', true), '') = 'on';
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT importing THEN
            PERFORM passport_overview_refresh(ARRAY(SELECT DISTINCT passport_id FROM new_rows));
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF importing THEN
            PERFORM passport_overview_refresh(ARRAY(
                SELECT passport_id FROM old_rows EXCEPT SELECT passport_id FROM new_rows));
        ELSE
            PERFORM passport_overview_refresh(ARRAY(
                SELECT passport_id FROM old_rows UNION SELECT passport_id FROM new_rows));
        END IF;
    ELSE
        PERFORM passport_overview_refresh(ARRAY(SELECT DISTINCT passport_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;

-- category and profile: the passports that show their names.
CREATE FUNCTION passport_overview_follow_category() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM passport_overview_refresh(ARRAY(
        SELECT p.id FROM passport p WHERE p.category_id IN (SELECT id FROM new_rows)));
    RETURN NULL;
END
$$;

CREATE FUNCTION passport_overview_follow_profile() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM passport_overview_refresh(ARRAY(
        SELECT p.id FROM passport p WHERE p.inspector_id IN (SELECT id FROM new_rows)));
    RETURN NULL;
END
$$;

DO $follow$
DECLARE
    source record;
    event  text;
BEGIN
    FOR source IN
        SELECT * FROM (VALUES ('passport', 'passport_overview_follow_passport', ARRAY['insert', 'update', 'delete']),
                              ('maintenance', 'passport_overview_follow_child', ARRAY['insert', 'update', 'delete']),
                              ('sign', 'passport_overview_follow_child', ARRAY['insert', 'update', 'delete']),
                              ('category', 'passport_overview_follow_category', ARRAY['update']),
                              ('profile', 'passport_overview_follow_profile', ARRAY['update']))
               AS s (tbl, fn, events)
    LOOP
        FOREACH event IN ARRAY source.events LOOP
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                           source.tbl || '_passport_overview_' || event, upper(event), source.tbl,
                           CASE event WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                                      WHEN 'delete' THEN 'OLD TABLE AS old_rows'
                                      WHEN 'update' THEN
                                          CASE WHEN source.fn = 'passport_overview_follow_child'
                                               THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                                               ELSE 'NEW TABLE AS new_rows' END
                           END,
                           source.fn);
            EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER %I',
                           source.tbl, source.tbl || '_passport_overview_' || event);
        END LOOP;
    END LOOP;
END
$follow$;
