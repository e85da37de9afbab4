-- Register an export; nothing comes back when the same bytes are registered already.
INSERT INTO loader_file (sha256, name, size_bytes, format, archive_path)
VALUES (%(sha256)s, %(name)s, %(size_bytes)s, %(format)s, %(archive_path)s)
ON CONFLICT (sha256) DO NOTHING
RETURNING id, registered_at
