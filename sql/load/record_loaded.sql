-- The last statement of a load's transaction. loaded_at is the layer's as-of cut-off
-- (0014_asof_every_entity.sql): clock_timestamp(), not now(), so manual edits that
-- committed while the load ran count as before it, as they were in its result.
UPDATE loader_report
SET status = 'loaded', loaded_at = clock_timestamp(), counts = %(counts)s, content_sha256 = %(content_sha256)s,
    file_id = %(file_id)s
WHERE id = %(report_id)s
