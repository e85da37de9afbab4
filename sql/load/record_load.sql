-- This load's row in loader_load, first thing inside the import lock: its snapshot is taken before
-- the chain check reads anything, so a manual write it does not see is one the check may have
-- missed too, and the next chain refuses. The same transaction as the load: a failed load leaves none.
INSERT INTO loader_load (report_id, validation, snapshot)
VALUES (%(report_id)s, %(validation)s, pg_current_snapshot())
RETURNING id
