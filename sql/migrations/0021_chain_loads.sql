-- What a layer load may leave out: the committed loads in order, and the transactions that wrote
-- the imported tables without being the importer.
--
-- A validation worker that validates layers in a row knows which rows of a layer are unchanged
-- since the layers before it in that chain (chain.json beside the mapped rows names them). Those
-- rows are unchanged in the database only if the loads committed since the chain's first layer
-- are exactly the chain's, and nothing else wrote the imported tables since that load began. The
-- load (pipelines/load/unchanged_rows.py, sql/load/chain_holds.sql) proves both from:
--
-- 1. loader_load: one row per committed layer load, in commit order (the loads take the import
--    lock, so id order is commit order), with the validation it loaded (NULL when the mapped
--    rows did not say, older validations) and its snapshot, taken before the load decided
--    anything: a write the snapshot does not see is one the load may not have seen either.
-- 2. loader_manual_write: the xid of every transaction that wrote an imported table without
--    being the importer (strata.importing on, strata_begin_import; the same test as 0016 and
--    0020). A statement-level trigger: one row per transaction, whatever its number of rows or
--    statements. A statement that changes no row still counts: refusing the claim is always
--    safe, missing a write is not.
--    Cascaded deletes (a passport's maintenance, signs, ...) run as statements of their own on
--    the child tables and fire these triggers too; the delete that caused them fired one first.
--
-- The triggers fire ALWAYS: the load writes in replica mode (0013), and a manual write in replica
-- mode must be seen as well. strata_track_history (0020) drops and recreates only the triggers it
-- names; these are named <table>_manual_write and survive it.

CREATE TABLE loader_load (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id  bigint NOT NULL REFERENCES loader_report (id),
    validation uuid,
    snapshot   pg_snapshot NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX loader_load_validation_idx ON loader_load (validation, id);

-- xid is pg_current_xact_id() as bigint (keys are bigint; an xid8 is epoch << 32 | xid and fits
-- while the epoch stays below 2^31), read back as xid8 to test it against a snapshot.
CREATE TABLE loader_manual_write (
    xid bigint PRIMARY KEY,
    at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION strata_note_manual_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('strata.importing', true), '') <> 'on' THEN
        INSERT INTO loader_manual_write (xid) VALUES (pg_current_xact_id()::text::bigint) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

DO $manual$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['passport', 'maintenance', 'maintenance_crew', 'measurement', 'sign'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION strata_note_manual_write()',
                       tbl || '_manual_write', tbl);
        EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER %I', tbl, tbl || '_manual_write');
    END LOOP;
END
$manual$;
