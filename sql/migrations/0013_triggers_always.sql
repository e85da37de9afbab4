-- Strata's own triggers on the imported tables fire ALWAYS, also in replica mode.
--
-- A layer load writes its rows with session_replication_role = replica: that skips
-- PostgreSQL's internal foreign-key triggers, which check one row at a time (about 60 %
-- of a first load, BENCHMARKS.md), and the load checks the same keys set-based instead
-- (pipelines/foreign_key_checks.py). Replica mode skips every trigger that is not
-- ENABLE ALWAYS, so history and the import marking must be ALWAYS or they would be lost.
-- The load checks this before it switches (sql/load/skipped_triggers.sql) and writes
-- with the row-by-row checks whenever anything but a foreign-key trigger would be skipped.
DO $always$
DECLARE
    trig record;
BEGIN
    FOR trig IN
        SELECT t.tgrelid::regclass AS tbl, t.tgname
        FROM pg_trigger t
        WHERE NOT t.tgisinternal
          AND t.tgrelid = ANY (ARRAY['passport', 'maintenance', 'maintenance_crew', 'measurement', 'sign']::regclass[])
    LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', trig.tbl, trig.tgname);
    END LOOP;
END
$always$;
