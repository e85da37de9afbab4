-- Registered layers older than the one asked for that were never loaded.
SELECT DISTINCT l.version FROM loader_file_layer l
WHERE l.version < %(version)s
  AND NOT EXISTS (SELECT 1 FROM loader_report r WHERE r.version = l.version AND r.loaded_at IS NOT NULL)
ORDER BY 1
