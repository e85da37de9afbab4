SELECT name, archive_path FROM loader_file WHERE id = %s
