SELECT f.id, f.name, f.format, f.size_bytes, f.registered_at, f.sha256,
       count(l.id) AS layers, min(l.version) AS first_layer, max(l.version) AS last_layer,
       f.archive_path
FROM loader_file f
LEFT JOIN loader_file_layer l ON l.file_id = f.id
GROUP BY f.id
ORDER BY f.id
