SELECT version, name, sha256 FROM schema_migration ORDER BY version
