-- The layer's bookkeeping row after a validation: created if missing. A loaded layer
-- stays 'loaded' (re-validating it must not make the loader think it was never loaded).
INSERT INTO loader_report (version, status, error_count, validated_at, reports, counts)
VALUES (%(version)s, %(status)s, %(error_count)s, now(), %(reports)s, %(counts)s)
ON CONFLICT (version) DO UPDATE
SET status       = CASE WHEN loader_report.status = 'loaded' THEN loader_report.status ELSE EXCLUDED.status END,
    error_count  = EXCLUDED.error_count,
    validated_at = EXCLUDED.validated_at,
    reports      = EXCLUDED.reports,
    counts       = loader_report.counts || EXCLUDED.counts
RETURNING id;
