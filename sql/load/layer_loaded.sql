SELECT history_asof_cutoff(%(version)s) IS NOT NULL
