INSERT INTO loader_file_layer (file_id, version, released_at, reports, bytes, sha256, spool_path)
VALUES (%(file_id)s, %(version)s, %(released_at)s, %(reports)s, %(bytes)s, %(sha256)s, %(spool_path)s)
