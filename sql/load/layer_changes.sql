-- What a layer changed (migration 0015), in a stable order: per table, created, updated,
-- overwritten, deleted; then by ext_id, row and column.
SELECT table_name, change, row_id, ext_id, column_name, old_value, new_value
FROM layer_changes(%(version)s)
ORDER BY table_name, array_position(ARRAY['created', 'updated', 'overwritten', 'deleted'], change),
         ext_id NULLS LAST, row_id, column_name
