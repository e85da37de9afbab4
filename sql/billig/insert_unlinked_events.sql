-- Our events billig does not sell, added once by title.
INSERT INTO event (title, starts_at)
SELECT title, starts_at
FROM unnest(%(titles)s::text[], %(starts)s::timestamptz[]) AS u(title, starts_at)
WHERE NOT EXISTS (SELECT FROM event e WHERE e.billig_id IS NULL AND e.title = u.title)
