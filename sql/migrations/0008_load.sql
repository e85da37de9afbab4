-- What the load needs beyond the contract's columns.
--
-- import_digest: md5 of the mapped values the last import wrote to the row. The
-- importer writes a row only when the layer's digest differs, which makes three
-- rules one comparison: a re-spelled record is unchanged (mapped values are equal),
-- a reload writes nothing, and an analyst's edit (auto_imported = false) survives
-- until upstream really changes the record.

DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['passport', 'maintenance', 'measurement', 'sign'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN import_digest uuid', tbl);
        PERFORM strata_track_history(tbl::regclass);
    END LOOP;
END
$$;

-- Where validation wrote the layer's mapped rows, and which content it validated: the
-- load records that content as loaded, even if a newer export arrived in between.
ALTER TABLE loader_report ADD COLUMN mapped_path text, ADD COLUMN validated_sha256 text;

-- Manual values an import overwrote because upstream changed the record: analysts read
-- this table (and the asset's metadata) to redo an edit that still matters.
CREATE TABLE loader_overwrite (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id      bigint NOT NULL REFERENCES loader_report (id) ON DELETE CASCADE,
    table_name     text NOT NULL,
    row_id         bigint NOT NULL,
    ext_id         text,
    column_name    text NOT NULL,
    manual_value   text,
    imported_value text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX loader_overwrite_report_id_idx ON loader_overwrite (report_id);
