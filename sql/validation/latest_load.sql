-- The mapped rows of the layer loaded last (where its validation saved its chain) and the
-- validation it was loaded from; no row before the first load.
SELECT r.mapped_path, l.validation
FROM loader_load l
JOIN loader_report r ON r.id = l.report_id
ORDER BY l.id DESC
LIMIT 1
