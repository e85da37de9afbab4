-- The passports whose passport_overview rows this layer may have changed, for the read model's
-- refresh: those it wrote (created or updated) and those of the maintenance records and signs it
-- wrote (their new passport; the one a child moved away from is refreshed by the child's trigger,
-- migration 0016). A passport the layer holds unchanged, with unchanged children, keeps its row.
SELECT id FROM stage_passport WHERE changed
UNION
SELECT p.id FROM stage_maintenance m JOIN stage_passport p ON p.ext_id = m.passport_ext_id WHERE m.changed
UNION
SELECT p.id FROM stage_sign s JOIN stage_passport p ON p.ext_id = s.passport_ext_id WHERE s.changed
ORDER BY id
