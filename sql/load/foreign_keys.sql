-- The foreign keys of the tables a load writes, as the referencing side.
SELECT c.conname, cn.nspname, cl.relname, a.attname, pn.nspname, pl.relname, pa.attname
FROM pg_constraint c
JOIN pg_class cl ON cl.oid = c.conrelid
JOIN pg_namespace cn ON cn.oid = cl.relnamespace
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_class pl ON pl.oid = c.confrelid
JOIN pg_namespace pn ON pn.oid = pl.relnamespace
JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
  AND c.conrelid = ANY (%(tables)s::regclass[])
ORDER BY cl.relname, a.attname
