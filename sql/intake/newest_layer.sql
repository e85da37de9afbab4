-- The layer as the newest registered export holding it carries it.
SELECT l.version, l.reports, l.bytes, l.sha256, l.spool_path, f.id, f.name, f.sha256
FROM loader_file_layer l
JOIN loader_file f ON f.id = l.file_id
WHERE l.version = %(version)s
ORDER BY f.registered_at DESC, f.id DESC
LIMIT 1
