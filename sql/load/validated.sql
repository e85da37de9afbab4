SELECT id, status, error_count, mapped_path, validated_sha256, file_id FROM loader_report WHERE version = %(version)s FOR UPDATE
