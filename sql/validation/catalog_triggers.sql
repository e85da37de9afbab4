-- User triggers of the given tables and the functions they call (check_declarations).
SELECT c.relname, t.tgname, p.proname
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_proc p ON p.oid = t.tgfoid
WHERE NOT t.tgisinternal
  AND c.relnamespace = current_schema()::regnamespace
  AND c.relname = ANY(%(tables)s);
