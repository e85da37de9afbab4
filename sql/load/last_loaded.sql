SELECT max(version) FROM loader_report WHERE loaded_at IS NOT NULL
