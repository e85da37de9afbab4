-- A cheaper strata_mark_write, same behaviour (0004_history.sql explains the design).
--
-- The row-level BEFORE trigger runs for every row an import writes. 0004's version
-- called strata_importing() twice and strata_import_report_id() once per row: three
-- SQL-function calls that PL/pgSQL cannot inline, each reading a setting. This one reads
-- each setting once per row, directly. On the bench (BENCHMARKS.md, "Where the load's
-- time goes") the row-by-row foreign-key checks dominate a first load, the history
-- triggers and this one are the smaller share; this trims what is cheap to trim.
CREATE OR REPLACE FUNCTION strata_mark_write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    importing constant boolean := coalesce(current_setting('strata.importing', true), '') = 'on';
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Compare data only: the bookkeeping columns describe a write, they are not one.
        NEW.auto_imported := OLD.auto_imported;
        NEW.report_id := OLD.report_id;
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NULL;
        END IF;
    END IF;
    NEW.auto_imported := importing;
    IF importing THEN
        NEW.report_id := nullif(current_setting('strata.report_id', true), '')::bigint;
    END IF;
    RETURN NEW;
END
$$;
