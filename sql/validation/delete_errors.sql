-- A validation replaces all earlier errors of its layer.
DELETE FROM loader_error WHERE report_id = %(report_id)s;
