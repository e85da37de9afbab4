UPDATE loader_report
SET status = 'loaded', loaded_at = now(), counts = %(counts)s, content_sha256 = %(content_sha256)s,
    file_id = %(file_id)s
WHERE id = %(report_id)s
