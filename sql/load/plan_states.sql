-- Every registered version as its newest registration carries it, with what the database knows of
-- it: the content last loaded and the content last validated (and with how many analyst errors).
SELECT DISTINCT ON (l.version)
       l.version, l.sha256, f.id AS file_id, f.name AS file_name,
       r.content_sha256 AS loaded_sha256, r.loaded_at,
       r.validated_sha256, r.status, r.error_count
FROM loader_file_layer l
JOIN loader_file f ON f.id = l.file_id
LEFT JOIN loader_report r ON r.version = l.version
ORDER BY l.version, f.registered_at DESC, f.id DESC
