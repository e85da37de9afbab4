-- The stored analyst errors of one layer, in report order (`strata errors VERSION`).
SELECT e.version, e.code, e.entity, e.ext_id, e.passport_ext_id, e.field, e.value, e.message
FROM loader_error e
JOIN loader_report r ON r.id = e.report_id
WHERE r.version = %(version)s
ORDER BY e.passport_ext_id NULLS FIRST, e.entity, e.ext_id NULLS FIRST, e.field, e.code;
