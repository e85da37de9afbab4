-- Does the database hold exactly what the loads of the chain %(after)s (validation ids, oldest
-- first) wrote? The base is the latest load of %(after)s[1]; from it on, the loads before this one
-- (id < %(load_id)s, this load's own row, inserted first) must be the chain's, in order, and no
-- transaction outside the importer may have written an imported table that the base load's
-- snapshot does not see (committed after it was taken, or running then). No row: no such base.
WITH base AS (
    SELECT l.id, l.snapshot
    FROM loader_load l
    WHERE l.validation = (%(after)s::uuid[])[1] AND l.id < %(load_id)s
    ORDER BY l.id DESC
    LIMIT 1)
SELECT coalesce((SELECT array_agg(l.validation ORDER BY l.id)
                 FROM loader_load l
                 WHERE l.id >= base.id AND l.id < %(load_id)s) = %(after)s::uuid[], false) AS loads_match,
       (SELECT count(*) FROM loader_manual_write w
        WHERE NOT pg_visible_in_snapshot(w.xid::text::xid8, base.snapshot)) AS manual_writes
FROM base
