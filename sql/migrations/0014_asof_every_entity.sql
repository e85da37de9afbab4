-- As of any loaded layer, every entity: a passport with its maintenance (crew and
-- measurements) and signs, or one maintenance record, as it stood right after the
-- layer loaded, read back from history (0009 read passports without measurements).
--
-- * A row's state as of a cut-off is its latest history row (by history_id, the order
--   its writes happened in) with changed_at <= cut-off, unless that row is a delete.
--   Rows are picked first and filtered afterwards, so a maintenance record moved to
--   another passport before the cut-off belongs to the new passport only.
-- * Each state is returned under the table's own column names, so the as-of of the
--   newest layer equals to_jsonb(row) of the current rows when nothing changed since:
--   id = history's row_id; auto_imported = whether the last write was an import;
--   report_id = the layer of the last imported write (what the row's report_id holds:
--   manual writes keep it).
-- * The cut-off is the layer's loaded_at, which the load records as the last thing
--   in its transaction (sql/load/record_loaded.sql): manual edits committed before
--   the load committed count, later ones do not.

-- Lookups by the keys the reads below start from (history had row_id and report_id).
CREATE INDEX passport_history_ext_id_idx ON passport_history (ext_id);
CREATE INDEX maintenance_history_ext_id_idx ON maintenance_history (ext_id);
CREATE INDEX maintenance_history_passport_id_idx ON maintenance_history (passport_id);
CREATE INDEX maintenance_crew_history_maintenance_id_idx ON maintenance_crew_history (maintenance_id);
CREATE INDEX measurement_history_maintenance_id_idx ON measurement_history (maintenance_id);
CREATE INDEX sign_history_passport_id_idx ON sign_history (passport_id);

-- The rows of a tracked table whose key_column was one of keys at the cut-off, as jsonb
-- in the table's own columns. One statement per call, whatever the number of keys.
CREATE FUNCTION history_rows_asof(tracked regclass, cutoff timestamptz, key_column text, keys text[])
RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    tbl     text := (SELECT relname FROM pg_class WHERE oid = tracked);
    keytype text := (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                     WHERE attrelid = tracked AND attname = key_column AND NOT attisdropped);
BEGIN
    IF keytype IS NULL THEN
        RAISE EXCEPTION 'history_rows_asof: % has no column %', tbl, key_column;
    END IF;
    IF cutoff IS NULL OR keys IS NULL OR cardinality(keys) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH candidates AS (
            SELECT DISTINCT row_id FROM %1$I WHERE %2$I = ANY ($2::%3$s[]) AND changed_at <= $1),
        latest AS (
            SELECT DISTINCT ON (h.row_id) h.*
            FROM %1$I h JOIN candidates c USING (row_id)
            WHERE h.changed_at <= $1
            ORDER BY h.row_id, h.history_id DESC)
        SELECT to_jsonb(l) - 'history_id' - 'row_id' - 'operation' - 'changed_at' - 'imported'
               || jsonb_build_object(
                      'id', l.row_id,
                      'auto_imported', l.imported,
                      'report_id', (SELECT i.report_id FROM %1$I i
                                    WHERE i.row_id = l.row_id AND i.imported AND i.history_id <= l.history_id
                                    ORDER BY i.history_id DESC LIMIT 1))
        FROM latest l
        WHERE l.operation <> 'delete' AND l.%2$I = ANY ($2::%3$s[])$q$,
        tbl || '_history', key_column, keytype)
    USING cutoff, keys;
END
$fn$;

-- Maintenance records (whose key_column is one of keys) at the cut-off, each with its
-- crew (profile ids) and measurements, as a jsonb array ordered by ext_id.
CREATE FUNCTION maintenance_states_asof(cutoff timestamptz, key_column text, keys text[])
RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH m AS MATERIALIZED (
    SELECT r FROM history_rows_asof('maintenance', cutoff, key_column, keys) r),
ids AS (SELECT array_agg(m.r ->> 'id') AS ids FROM m),
crew AS MATERIALIZED (
    SELECT r FROM ids, history_rows_asof('maintenance_crew', cutoff, 'maintenance_id', ids.ids) r),
measurements AS MATERIALIZED (
    SELECT r FROM ids, history_rows_asof('measurement', cutoff, 'maintenance_id', ids.ids) r)
SELECT coalesce(jsonb_agg(
    m.r || jsonb_build_object(
        'crew', coalesce((SELECT jsonb_agg(c.r -> 'profile_id' ORDER BY (c.r ->> 'profile_id')::bigint)
                          FROM crew c WHERE c.r -> 'maintenance_id' = m.r -> 'id'), '[]'),
        'measurements', coalesce((SELECT jsonb_agg(x.r ORDER BY x.r ->> 'ext_id', (x.r ->> 'id')::bigint)
                                  FROM measurements x WHERE x.r -> 'maintenance_id' = m.r -> 'id'), '[]'))
    ORDER BY m.r ->> 'ext_id', (m.r ->> 'id')::bigint), '[]')
FROM m
$$;

-- {layer, passport, maintenance: [... crew, measurements], signs}, or NULL when the layer
-- was never loaded or no passport had that ext_id right after it.
CREATE OR REPLACE FUNCTION passport_asof(layer text, passport_ext_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cutoff timestamptz := history_asof_cutoff(layer);
    found  jsonb;
BEGIN
    SELECT r INTO found FROM history_rows_asof('passport', cutoff, 'ext_id', ARRAY[passport_ext_id]) r;
    IF found IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN jsonb_build_object(
        'layer', layer,
        'passport', found,
        'maintenance', maintenance_states_asof(cutoff, 'passport_id', ARRAY[found ->> 'id']),
        'signs', (SELECT coalesce(jsonb_agg(s ORDER BY s ->> 'ext_id', (s ->> 'id')::bigint), '[]')
                  FROM history_rows_asof('sign', cutoff, 'passport_id', ARRAY[found ->> 'id']) s));
END
$$;

-- {layer, maintenance: {... crew, measurements}}, or NULL likewise.
CREATE FUNCTION maintenance_asof(layer text, maintenance_ext_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object('layer', layer, 'maintenance', m -> 0)
FROM (SELECT maintenance_states_asof(history_asof_cutoff(layer), 'ext_id', ARRAY[maintenance_ext_id]) AS m) s
WHERE jsonb_array_length(m) > 0
$$;
