-- Every registered copy of a layer, newest registration first (the order of newest_layer.sql):
-- a registration reuses one with the same content instead of writing the layer again.
SELECT l.version, l.sha256, l.spool_path
FROM loader_file_layer l
JOIN loader_file f ON f.id = l.file_id
ORDER BY f.registered_at DESC, f.id DESC, l.version
