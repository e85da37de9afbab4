-- Which migrations are applied, with the sha256 of each file as it was applied.
CREATE TABLE IF NOT EXISTS schema_migration (
    version    bigint PRIMARY KEY,
    name       text NOT NULL,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
