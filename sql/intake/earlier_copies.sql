-- The copy raw_layer reads (newest registration first, as newest_layer.sql) of every registered
-- version older than %(version)s and newer than %(after)s (the last loaded one; NULL: none).
SELECT DISTINCT ON (l.version) l.version, l.spool_path
FROM loader_file_layer l
JOIN loader_file f ON f.id = l.file_id
WHERE l.version < %(version)s AND (%(after)s::text IS NULL OR l.version > %(after)s::text)
ORDER BY l.version, f.registered_at DESC, f.id DESC
