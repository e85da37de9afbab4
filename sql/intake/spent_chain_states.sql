-- Mapped folders of loaded layers whose saved validation chain nobody resumes: a process resumes
-- only the chain of the layer loaded last (pipelines.validation.chain_store), so every other
-- loaded layer's is spent. Nothing before the first load.
SELECT r.mapped_path
FROM loader_report r
WHERE r.loaded_at IS NOT NULL
  AND r.mapped_path IS NOT NULL
  AND r.id <> (SELECT l.report_id FROM loader_load l ORDER BY l.id DESC LIMIT 1)
