-- Every known layer (in a registered export, or with a loader_report row) with its state:
-- validation outcome and error counts by code, when it was validated and loaded, rows the
-- load wrote, and the file it came from: for a loaded layer the (newest) export holding the
-- content that was loaded, else the one last validated, else the newest export holding it.
-- Errors are the last validation's. newer_content: the newest export holding the layer
-- carries other content than that file (to validate and load again). %(version)s NULL: all.
WITH versions AS (
    SELECT version FROM loader_file_layer UNION SELECT version FROM loader_report),
newest AS (
    SELECT DISTINCT ON (l.version) l.version, l.file_id, l.sha256
    FROM loader_file_layer l JOIN loader_file f ON f.id = l.file_id
    ORDER BY l.version, f.registered_at DESC, f.id DESC),
errors AS (
    SELECT report_id, jsonb_object_agg(code, n ORDER BY code) AS by_code
    FROM (SELECT report_id, code, count(*) AS n FROM loader_error GROUP BY report_id, code) e
    GROUP BY report_id)
SELECT v.version,
       coalesce(r.status, 'registered') AS state,
       coalesce(r.error_count, 0) AS error_count,
       coalesce(e.by_code, '{}'::jsonb) AS errors_by_code,
       r.validated_at,
       r.loaded_at,
       (SELECT sum(coalesce((t.value ->> 'created')::bigint, 0) + coalesce((t.value ->> 'updated')::bigint, 0)
                   + coalesce((t.value ->> 'removed')::bigint, 0))::bigint
        FROM jsonb_each(r.counts) t WHERE jsonb_typeof(t.value) = 'object') AS rows_written,
       (r.counts ->> 'overwrites')::bigint AS overwrites,
       coalesce(fl.reports, r.reports) AS reports,
       f.id AS file_id,
       f.name AS file_name,
       n.file_id AS newest_file_id,
       coalesce(n.file_id <> f.id AND n.sha256 IS DISTINCT FROM fl.sha256, false) AS newer_content
FROM versions v
LEFT JOIN loader_report r ON r.version = v.version
LEFT JOIN newest n ON n.version = v.version
LEFT JOIN LATERAL (
    SELECT l.file_id FROM loader_file_layer l WHERE l.version = v.version AND l.sha256 = r.content_sha256
    ORDER BY l.file_id DESC LIMIT 1) loaded ON r.loaded_at IS NOT NULL
LEFT JOIN loader_file f ON f.id = coalesce(loaded.file_id, r.file_id, n.file_id)
LEFT JOIN loader_file_layer fl ON fl.file_id = f.id AND fl.version = v.version
LEFT JOIN errors e ON e.report_id = r.id
WHERE %(version)s::text IS NULL OR v.version = %(version)s::text
ORDER BY v.version
