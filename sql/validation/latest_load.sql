-- The mapped rows of the layer loaded last, where its validation saved its chain
-- (pipelines.validation.chain_store); no row before the first load.
SELECT r.mapped_path
FROM loader_load l
JOIN loader_report r ON r.id = l.report_id
ORDER BY l.id DESC
LIMIT 1
