-- A reviewed new profile; skipped when the same person (names compared trimmed and
-- case-insensitively) already exists, so running a reviewed file twice adds nothing.
INSERT INTO profile (last_name, first_name, middle_name, email)
SELECT %(last_name)s, %(first_name)s, %(middle_name)s, %(email)s
WHERE NOT EXISTS (
    SELECT 1 FROM profile
    WHERE lower(btrim(last_name)) = lower(btrim(%(last_name)s))
      AND lower(btrim(first_name)) = lower(btrim(%(first_name)s))
      AND lower(btrim(coalesce(middle_name, ''))) = lower(btrim(coalesce(%(middle_name)s, '')))
)
RETURNING id;
