-- A layer newer than the one asked for that is already loaded (an older layer must not follow it).
SELECT version FROM loader_report WHERE loaded_at IS NOT NULL AND version > %(version)s
ORDER BY version DESC LIMIT 1
