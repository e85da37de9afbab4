SELECT history_asof_cutoff(%(version)s) IS NOT NULL, passport_asof(%(version)s, %(ext_id)s)
