-- The passports this layer wrote (created or updated), for the read model's refresh.
SELECT id FROM stage_passport ORDER BY id
