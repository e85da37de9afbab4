UPDATE loader_report SET mapped_path = %(mapped_path)s, validated_sha256 = %(sha256)s, file_id = %(file_id)s
WHERE id = %(report_id)s
