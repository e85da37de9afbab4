-- History and import flags, written by PostgreSQL so no code path can forget them.
--
-- Design (measured against the alternatives in FACTS.md and make bench):
-- * A row-level BEFORE trigger (strata_mark_write) drops an UPDATE whose data
--   columns do not change (so no history row, no report_id bump), and sets
--   auto_imported / report_id from the transaction-local import setting.
-- * Statement-level AFTER triggers with transition tables copy the changed rows
--   into <table>_history in one INSERT ... SELECT per statement. Because the
--   BEFORE trigger already removed no-op updates, the AFTER triggers never join
--   new_rows to old_rows: no planner pitfall, no nested loop on bulk updates.

-- The importer, and only the importer, calls this inside its transaction.
CREATE FUNCTION strata_begin_import(layer_report_id bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT set_config('strata.importing', 'on', true),
           set_config('strata.report_id', layer_report_id::text, true);
$$;

CREATE FUNCTION strata_importing() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('strata.importing', true), '') = 'on';
$$;

CREATE FUNCTION strata_import_report_id() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN strata_importing()
                THEN nullif(current_setting('strata.report_id', true), '')::bigint END;
$$;

CREATE FUNCTION strata_mark_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Compare data only: the bookkeeping columns describe a write, they are not one.
        NEW.auto_imported := OLD.auto_imported;
        NEW.report_id := OLD.report_id;
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NULL;
        END IF;
    END IF;
    NEW.auto_imported := strata_importing();
    IF NEW.auto_imported THEN
        NEW.report_id := strata_import_report_id();
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION strata_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of % would bypass its history; use DELETE', TG_TABLE_NAME;
END
$$;

-- Creates or updates <table>_history and the triggers of one imported table.
-- Idempotent: call it again after adding a column to the table.
CREATE FUNCTION strata_track_history(tracked regclass) RETURNS void
LANGUAGE plpgsql AS $track$
DECLARE
    tbl      text := (SELECT relname FROM pg_class WHERE oid = tracked);
    hist     text := tbl || '_history';
    col      record;
    copied   text[] := '{}';
    col_list text;
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
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO %2$I (row_id, operation, report_id, imported, %3$s)
                SELECT id, 'delete', strata_import_report_id(), strata_importing(), %3$s FROM old_rows;
            ELSE
                INSERT INTO %2$I (row_id, operation, report_id, imported, %3$s)
                SELECT id, lower(TG_OP), strata_import_report_id(), strata_importing(), %3$s FROM new_rows;
            END IF;
            RETURN NULL;
        END
        $body$$fn$, tbl || '_write_history', hist, col_list);

    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_mark_write', tbl);
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION strata_mark_write()',
                   tbl || '_mark_write', tbl);
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
END
$track$;

SELECT strata_track_history(t)
FROM unnest(ARRAY['passport', 'maintenance', 'maintenance_crew', 'measurement', 'sign']::regclass[]) AS t;
