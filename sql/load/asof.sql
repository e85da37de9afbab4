-- Whether the layer was loaded, and the passport and the maintenance record with this ext_id
-- as they stood right after it (migration 0014); either may be NULL.
SELECT history_asof_cutoff(%(version)s) IS NOT NULL,
       passport_asof(%(version)s, %(ext_id)s),
       maintenance_asof(%(version)s, %(ext_id)s)
