-- Triggers on the tables a load writes that replica mode would skip (or add), other than
-- the foreign-key checks the load repeats set-based. Any row here: write in origin mode.
-- Skipped without harm: the FK triggers of a table as the referencing side (re-checked
-- set-based), and as the referenced side where the load never deletes (ids never change).
-- %(written)s: every table the load writes; %(deleted)s: those it deletes from.
SELECT t.tgrelid::regclass::text AS table_name, t.tgname AS trigger_name
FROM pg_trigger t
LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint
WHERE t.tgrelid = ANY (%(written)s::regclass[])
  AND t.tgenabled IN ('O', 'R')
  AND NOT (c.contype IS NOT DISTINCT FROM 'f' AND cardinality(c.conkey) = 1
           AND (c.conrelid = t.tgrelid OR t.tgrelid <> ALL (%(deleted)s::regclass[])))
ORDER BY 1, 2
