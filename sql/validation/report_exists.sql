-- Whether a layer was ever registered or validated.
SELECT status FROM loader_report WHERE version = %(version)s;
