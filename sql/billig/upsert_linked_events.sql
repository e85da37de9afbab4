-- Our events that billig sells, by billig_id: new ones inserted, changed ones updated.
INSERT INTO event (title, starts_at, billig_id)
SELECT title, starts_at, billig_id
FROM unnest(%(titles)s::text[], %(starts)s::timestamptz[], %(billig_ids)s::bigint[]) AS u(title, starts_at, billig_id)
ON CONFLICT (billig_id) DO UPDATE SET title = EXCLUDED.title, starts_at = EXCLUDED.starts_at
WHERE (event.title, event.starts_at) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.starts_at)
