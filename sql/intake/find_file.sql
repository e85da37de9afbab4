SELECT id, name, size_bytes, format, archive_path, registered_at FROM loader_file WHERE sha256 = %(sha256)s
