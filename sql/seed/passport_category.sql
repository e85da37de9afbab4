-- Resolve each seeded passport's category by code or mapping (trimmed, case-insensitive).
CREATE TEMP TABLE seed_passport_category ON COMMIT DROP AS
SELECT s.line, coalesce(c.id, m.category_id) AS category_id
FROM seed_passport s
LEFT JOIN category c ON lower(btrim(c.code)) = lower(btrim(s.category))
LEFT JOIN category_mapping m ON lower(btrim(m.value)) = lower(btrim(s.category));
