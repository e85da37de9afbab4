-- Layers of one export that are new, or whose content differs from what was last loaded.
SELECT l.version, l.sha256
FROM loader_file_layer l
LEFT JOIN loader_report r ON r.version = l.version AND r.loaded_at IS NOT NULL
WHERE l.file_id = %(file_id)s
  AND (r.id IS NULL OR r.content_sha256 IS DISTINCT FROM l.sha256)
ORDER BY l.version
