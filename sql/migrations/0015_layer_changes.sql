-- What a layer changed, read from history: per tracked table, the rows the layer
-- created, the columns it updated (old and new value), the manual values it overwrote
-- and the rows it deleted (crew links a re-sent crew no longer lists).
--
-- A layer's writes are the history rows with its report_id (only imports set one).
-- Each is paired with the row's previous history row (old values) by one index probe
-- on (row_id, history_id): set-based, one statement per table. An update whose previous
-- version was a manual write overwrote every column where the analyst's value differed
-- from the last imported one before it and the layer wrote another: the rule the load
-- applies when it fills loader_overwrite, here recomputed from history alone.
--
-- change:  created      new_value = the row (its data columns)
--          updated      one row per changed column: old_value -> new_value
--          overwritten  one row per manual value lost: old_value (manual) -> new_value
--          deleted      old_value = the row
-- Values are jsonb (numbers stay numbers); import_digest is bookkeeping and not listed.
-- A layer loaded twice (its content changed upstream) lists the writes of both loads.

CREATE FUNCTION layer_changes(layer text)
RETURNS TABLE (table_name text, change text, row_id bigint, ext_id text, column_name text,
               old_value jsonb, new_value jsonb)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    layer_report bigint := (SELECT id FROM loader_report WHERE version = layer);
    header constant text[] := ARRAY['history_id', 'row_id', 'operation', 'changed_at', 'report_id',
                                    'imported', 'import_digest'];
    tbl text;
BEGIN
    IF layer_report IS NULL THEN
        RETURN;
    END IF;
    FOR tbl IN
        SELECT c.relname FROM pg_class c
        WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
          AND EXISTS (SELECT FROM pg_class h WHERE h.relname = c.relname || '_history'
                      AND h.relnamespace = c.relnamespace)
        ORDER BY c.relname
    LOOP
        RETURN QUERY EXECUTE format($q$
            WITH written AS MATERIALIZED (
                SELECT w.row_id, w.operation, to_jsonb(w) ->> 'ext_id' AS ext_id,
                       to_jsonb(w) - $2 AS now_values,
                       to_jsonb(b) - $2 AS before_values,
                       b.imported AS before_imported,
                       to_jsonb(base) - $2 AS base_values
                FROM %1$I w
                LEFT JOIN LATERAL (
                    SELECT * FROM %1$I p WHERE p.row_id = w.row_id AND p.history_id < w.history_id
                    ORDER BY p.history_id DESC LIMIT 1) b ON true
                LEFT JOIN LATERAL (
                    SELECT * FROM %1$I p WHERE p.row_id = w.row_id AND p.history_id < w.history_id
                      AND p.imported AND w.operation = 'update' AND NOT b.imported
                    ORDER BY p.history_id DESC LIMIT 1) base ON true
                WHERE w.report_id = $1 AND w.imported)
            SELECT %2$L::text, 'created'::text, w.row_id, w.ext_id, NULL::text, NULL::jsonb, w.now_values
            FROM written w WHERE w.operation = 'insert'
            UNION ALL
            SELECT %2$L, 'updated', w.row_id, w.ext_id, k.key, w.before_values -> k.key, k.value
            FROM written w CROSS JOIN LATERAL jsonb_each(w.now_values) k
            WHERE w.operation = 'update' AND k.value IS DISTINCT FROM w.before_values -> k.key
            UNION ALL
            SELECT %2$L, 'overwritten', w.row_id, w.ext_id, k.key, w.before_values -> k.key, k.value
            FROM written w CROSS JOIN LATERAL jsonb_each(w.now_values) k
            WHERE w.operation = 'update' AND NOT w.before_imported AND w.base_values IS NOT NULL
              AND k.value IS DISTINCT FROM w.before_values -> k.key
              AND w.before_values -> k.key IS DISTINCT FROM w.base_values -> k.key
            UNION ALL
            SELECT %2$L, 'deleted', w.row_id, w.ext_id, NULL, w.now_values, NULL
            FROM written w WHERE w.operation = 'delete'$q$,
            tbl || '_history', tbl)
        USING layer_report, header;
    END LOOP;
END
$fn$;
