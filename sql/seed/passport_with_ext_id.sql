-- Objects our database already holds and an import has matched (by ext_id).
INSERT INTO passport (ext_id, name, category_id, region)
SELECT s.ext_id, s.name, c.category_id, nullif(s.region, '')
FROM seed_passport s
JOIN seed_passport_category c USING (line)
WHERE s.ext_id <> ''
ON CONFLICT (ext_id) DO NOTHING;
