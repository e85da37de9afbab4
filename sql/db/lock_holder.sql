-- Who holds (or also waits for) a transaction-level advisory lock on a bigint key, oldest first:
-- pg_locks splits the key into classid (high 32 bits) and objid (low 32 bits), objsubid 1.
SELECT a.pid, a.xact_start, a.state, left(a.query, 120)
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.classid = ((%(key)s::bigint >> 32) & 4294967295)::oid
  AND l.objid = (%(key)s::bigint & 4294967295)::oid
  AND l.objsubid = 1
  AND l.pid <> pg_backend_pid()
ORDER BY a.xact_start
LIMIT 1
