-- Every layer of one registered export, and whether it is loaded with exactly this content.
SELECT l.version, l.reports, l.sha256,
       coalesce(r.loaded_at IS NOT NULL AND r.content_sha256 = l.sha256, false) AS loaded
FROM loader_file_layer l
LEFT JOIN loader_report r ON r.version = l.version
WHERE l.file_id = %(file_id)s
ORDER BY l.version
