-- A passport as it stood right after a loaded layer, read back from history.
-- The cut-off is the layer's load transaction (its history rows share its now()),
-- so manual edits made before that load count and later ones do not.

CREATE FUNCTION history_asof_cutoff(layer text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT loaded_at FROM loader_report WHERE version = layer AND loaded_at IS NOT NULL
$$;

CREATE FUNCTION passport_asof(layer text, passport_ext_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH cutoff AS (SELECT history_asof_cutoff(layer) AS at),
passport_state AS (
    SELECT DISTINCT ON (h.row_id) h.*
    FROM passport_history h, cutoff
    WHERE h.ext_id = passport_ext_id AND h.changed_at <= cutoff.at
    ORDER BY h.row_id, h.history_id DESC
),
maintenance_state AS (
    SELECT DISTINCT ON (h.row_id) h.*
    FROM maintenance_history h, cutoff, passport_state p
    WHERE h.passport_id = p.row_id AND h.changed_at <= cutoff.at
    ORDER BY h.row_id, h.history_id DESC
),
crew_state AS (
    SELECT DISTINCT ON (h.row_id) h.*
    FROM maintenance_crew_history h, cutoff, maintenance_state m
    WHERE h.maintenance_id = m.row_id AND h.changed_at <= cutoff.at
    ORDER BY h.row_id, h.history_id DESC
),
sign_state AS (
    SELECT DISTINCT ON (h.row_id) h.*
    FROM sign_history h, cutoff, passport_state p
    WHERE h.passport_id = p.row_id AND h.changed_at <= cutoff.at
    ORDER BY h.row_id, h.history_id DESC
)
SELECT jsonb_build_object(
    'layer', layer,
    'passport', to_jsonb(p) - 'history_id' - 'operation' - 'changed_at' - 'import_digest',
    'maintenance', coalesce((
        SELECT jsonb_agg(to_jsonb(m) - 'history_id' - 'operation' - 'changed_at' - 'import_digest'
                         || jsonb_build_object('crew', coalesce((
                                SELECT jsonb_agg(c.profile_id ORDER BY c.profile_id) FROM crew_state c
                                WHERE c.maintenance_id = m.row_id AND c.operation <> 'delete'), '[]'))
                         ORDER BY m.ext_id)
        FROM maintenance_state m WHERE m.operation <> 'delete'), '[]'),
    'signs', coalesce((
        SELECT jsonb_agg(to_jsonb(s) - 'history_id' - 'operation' - 'changed_at' - 'import_digest' ORDER BY s.ext_id)
        FROM sign_state s WHERE s.operation <> 'delete'), '[]'))
FROM passport_state p
WHERE p.operation <> 'delete'
$$;
