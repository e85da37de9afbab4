-- New profiles (created by analysts or the create_profiles job) continue after the seeded ids.
SELECT setval(pg_get_serial_sequence('profile', 'id'), greatest((SELECT max(id) FROM profile), 1));
