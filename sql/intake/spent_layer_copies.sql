-- Layer copies (a spool and its mapped rows) nothing reads again: the layer is loaded with the
-- content it was last validated from, and a newer registration holds the same version (the one
-- raw_layer reads, see newest_layer.sql) in a copy of its own. Newest: the same order as
-- newest_layer.sql. A registration whose layer was unchanged refers to the earlier copy
-- (pipelines.intake.split, ``reused``): a copy a newer registration refers to is never spent.
SELECT l.file_id, f.name, l.version, l.spool_path
FROM loader_file_layer l
JOIN loader_file f ON f.id = l.file_id
JOIN loader_report r ON r.version = l.version
WHERE r.loaded_at IS NOT NULL
  AND r.content_sha256 IS NOT DISTINCT FROM r.validated_sha256
  AND EXISTS (
      SELECT 1 FROM loader_file_layer n JOIN loader_file nf ON nf.id = n.file_id
      WHERE n.version = l.version AND (nf.registered_at, nf.id) > (f.registered_at, f.id)
  )
  AND NOT EXISTS (
      SELECT 1 FROM loader_file_layer n JOIN loader_file nf ON nf.id = n.file_id
      WHERE n.spool_path = l.spool_path AND (nf.registered_at, nf.id) > (f.registered_at, f.id)
  )
ORDER BY l.file_id, l.version
