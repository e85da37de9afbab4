-- Column lists of the plain unique indexes of the given tables: the loader's ON CONFLICT targets.
SELECT t.relname, array_agg(a.attname::text ORDER BY k.ord)
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL
  AND t.relnamespace = current_schema()::regnamespace
  AND t.relname = ANY(%(tables)s)
GROUP BY i.indexrelid, t.relname;
