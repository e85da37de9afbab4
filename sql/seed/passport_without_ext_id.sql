-- Objects no import ever matched: no ext_id, so they are recognised by name.
INSERT INTO passport (name, category_id, region)
SELECT s.name, c.category_id, nullif(s.region, '')
FROM seed_passport s
JOIN seed_passport_category c USING (line)
WHERE s.ext_id = ''
  AND NOT EXISTS (SELECT 1 FROM passport p WHERE p.ext_id IS NULL AND p.name = s.name);
