SELECT table_name, ext_id, column_name, manual_value, imported_value
FROM loader_overwrite WHERE report_id = %(report_id)s ORDER BY table_name, ext_id, column_name
