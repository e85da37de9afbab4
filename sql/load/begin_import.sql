-- Mark this transaction as the importer's: its writes that mark themselves (auto_imported, this
-- report_id) skip the mark trigger; for any other write the trigger sets both from it (0020).
SELECT strata_begin_import(%s)
