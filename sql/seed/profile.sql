-- Seed profiles, keeping the reference profile_id as id; existing ids are left as analysts keep them.
INSERT INTO profile (id, last_name, first_name, middle_name, email)
SELECT id, last_name, first_name, nullif(middle_name, ''), nullif(email, '')
FROM seed_profile
ON CONFLICT (id) DO NOTHING;
