-- Registered layers older than the one asked for and newer than the last loaded one that were
-- never loaded. A layer older than the last loaded one can never load (order), so it does not
-- hold later layers back: pipelines.load.plan reports it as refused instead.
SELECT DISTINCT l.version FROM loader_file_layer l
WHERE l.version < %(version)s
  AND l.version > coalesce((SELECT max(version) FROM loader_report WHERE loaded_at IS NOT NULL), '')
  AND NOT EXISTS (SELECT 1 FROM loader_report r WHERE r.version = l.version AND r.loaded_at IS NOT NULL)
ORDER BY 1
