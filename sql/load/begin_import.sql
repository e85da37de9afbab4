-- Mark this transaction as the importer's: triggers set auto_imported and report_id from it.
SELECT strata_begin_import(%s)
