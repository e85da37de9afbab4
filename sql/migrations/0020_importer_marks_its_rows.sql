-- The importer writes auto_imported and report_id itself; the mark trigger fires for every
-- other write only. strata_track_history creates its triggers ENABLE ALWAYS.
--
-- 1. Mark triggers with a WHEN condition. strata_mark_write (0004, 0012) is a row-level
--    PL/pgSQL BEFORE trigger: one function call per row a layer writes (about 5 % of a first
--    load, BENCHMARKS.md "Where the first load's time goes"). The load's statements
--    (pipelines/load/statements.py) now set auto_imported = true and report_id = the
--    layer's report themselves, i.e. exactly what the trigger would set, and the trigger is
--    skipped for a row only when all of these hold (a condition PostgreSQL evaluates
--    without calling PL/pgSQL):
--      * the transaction is the importer's (strata.importing = 'on', strata_begin_import);
--      * the row says auto_imported and carries that import's report_id;
--      * on UPDATE, the statement itself moved report_id to that import's (OLD differs), so
--        an UPDATE in the import transaction that does not set the bookkeeping columns still
--        goes through the trigger (its no-op check included).
--    Anything else (every manual write, whatever columns it sets, and any write of the
--    import transaction that does not mark itself) fires the trigger as before: a manual
--    write still gets auto_imported = false and its history row. The condition is
--    "IS NOT TRUE": an unset setting (NULL) fires the trigger. INSERT and UPDATE need two
--    triggers: an INSERT trigger's WHEN cannot name OLD.
--    What the skip gives up, the importer must keep: the trigger drops an UPDATE that
--    changes no data column; the load's UPDATE only writes rows whose import_digest
--    differs, so its rows always change.
-- 2. ENABLE ALWAYS. 0013 switched Strata's triggers to ALWAYS (the load writes in replica
--    mode), but strata_track_history, which 0008 calls and any later column addition must
--    call again, dropped and recreated them as plain ENABLE: the next call would have left
--    history and marking to the load's fallback (the row-by-row key checks, since
--    sql/load/skipped_triggers.sql sees them). It now enables what it creates ALWAYS.
-- 3. The history trigger function reads the import settings once per statement instead of
--    three setting reads per row.

CREATE OR REPLACE FUNCTION strata_track_history(tracked regclass) RETURNS void
LANGUAGE plpgsql AS $track$
DECLARE
    tbl      text := (SELECT relname FROM pg_class WHERE oid = tracked);
    hist     text := tbl || '_history';
    col      record;
    copied   text[] := '{}';
    col_list text;
    trig     text;
    -- the importer's own row: auto_imported and this import's report_id, in its transaction
    importer constant text := $$NEW.auto_imported
        AND NEW.report_id::text = current_setting('strata.report_id', true)
        AND current_setting('strata.importing', true) = 'on'$$;
BEGIN
    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %I (
            history_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            row_id     bigint NOT NULL,
            operation  text NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
            changed_at timestamptz NOT NULL DEFAULT now(),
            report_id  bigint,
            imported   boolean NOT NULL
        )$ddl$, hist);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (row_id, history_id)', hist || '_row_idx', hist);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (report_id)', hist || '_report_idx', hist);

    -- Every data column of the row; id, report_id and auto_imported are the header's
    -- row_id, report_id and imported.
    FOR col IN
        SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS coltype
        FROM pg_attribute a
        WHERE a.attrelid = tracked AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname NOT IN ('id', 'report_id', 'auto_imported')
        ORDER BY a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS %I %s', hist, col.attname, col.coltype);
        copied := copied || quote_ident(col.attname);
    END LOOP;
    col_list := array_to_string(copied, ', ');

    EXECUTE format($fn$
        CREATE OR REPLACE FUNCTION %1$I() RETURNS trigger LANGUAGE plpgsql AS $body$
        DECLARE
            importing constant boolean := coalesce(current_setting('strata.importing', true), '') = 'on';
            report constant bigint := CASE WHEN importing
                                           THEN nullif(current_setting('strata.report_id', true), '')::bigint END;
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO %2$I (row_id, operation, report_id, imported, %3$s)
                SELECT id, 'delete', report, importing, %3$s FROM old_rows;
            ELSE
                INSERT INTO %2$I (row_id, operation, report_id, imported, %3$s)
                SELECT id, lower(TG_OP), report, importing, %3$s FROM new_rows;
            END IF;
            RETURN NULL;
        END
        $body$$fn$, tbl || '_write_history', hist, col_list);

    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_mark_write', tbl);  -- one trigger before 0020
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_mark_insert', tbl);
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %I FOR EACH ROW WHEN ((%s) IS NOT TRUE) '
                   'EXECUTE FUNCTION strata_mark_write()', tbl || '_mark_insert', tbl, importer);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_mark_update', tbl);
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW '
                   'WHEN ((%s AND OLD.report_id IS DISTINCT FROM NEW.report_id) IS NOT TRUE) '
                   'EXECUTE FUNCTION strata_mark_write()', tbl || '_mark_update', tbl, importer);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_history_insert', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   tbl || '_history_insert', tbl, tbl || '_write_history');
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_history_update', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   tbl || '_history_update', tbl, tbl || '_write_history');
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_history_delete', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   tbl || '_history_delete', tbl, tbl || '_write_history');
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_refuse_truncate', tbl);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION strata_refuse_truncate()',
                   tbl || '_refuse_truncate', tbl);
    FOREACH trig IN ARRAY ARRAY['_mark_insert', '_mark_update', '_history_insert', '_history_update',
                                '_history_delete', '_refuse_truncate'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER %I', tbl, tbl || trig);
    END LOOP;
END
$track$;

SELECT strata_track_history(t)
FROM unnest(ARRAY['passport', 'maintenance', 'maintenance_crew', 'measurement', 'sign']::regclass[]) AS t;
