INSERT INTO schema_migration (version, name, sha256) VALUES (%s, %s, %s)
