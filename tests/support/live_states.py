"""The imported tables as they are now, read from the tables themselves (never from history),
to check the history-based reads (as-of, layer changes) against states computed independently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from pipelines.core.settings import StrataHome
from pipelines.intake.registration import register
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.read_models.passport_overview import refresh_passport_overview
from pipelines.validation.registered import registered_layer, validate_registered

TRACKED = ("maintenance", "maintenance_crew", "measurement", "passport", "sign")
BOOKKEEPING = ("id", "report_id", "auto_imported", "import_digest")

# A maintenance record with its crew (profile ids) and measurements, the shape as-of reads give.
MAINTENANCE = """
to_jsonb(m) || jsonb_build_object(
    'crew', coalesce((SELECT jsonb_agg(c.profile_id ORDER BY c.profile_id)
                      FROM maintenance_crew c WHERE c.maintenance_id = m.id), '[]'),
    'measurements', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.ext_id, x.id)
                              FROM measurement x WHERE x.maintenance_id = m.id), '[]'))"""
PASSPORTS = f"""
SELECT p.ext_id, jsonb_build_object(
    'passport', to_jsonb(p),
    'maintenance', coalesce((SELECT jsonb_agg({MAINTENANCE} ORDER BY m.ext_id, m.id)
                             FROM maintenance m WHERE m.passport_id = p.id), '[]'),
    'signs', coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.ext_id, s.id)
                       FROM sign s WHERE s.passport_id = p.id), '[]'))
FROM passport p WHERE p.ext_id IS NOT NULL"""
MAINTENANCES = f"SELECT m.ext_id, jsonb_build_object('maintenance', {MAINTENANCE}) FROM maintenance m WHERE m.ext_id IS NOT NULL"


def passport_states(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Every passport with an ext_id, with its maintenance (crew, measurements) and signs."""
    return dict(conn.execute(PASSPORTS).fetchall())


def maintenance_states(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    return dict(conn.execute(MAINTENANCES).fetchall())


def table_rows(conn: psycopg.Connection) -> dict[str, dict[int, dict[str, Any]]]:
    """Every row of every tracked table by id, its bookkeeping columns left out."""
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for table in TRACKED:
        rows = conn.execute(f"SELECT id, to_jsonb(t) - %s::text[] FROM {table} t", (list(BOOKKEEPING),))
        out[table] = dict(rows.fetchall())
    return out


def validate_and_load(conn: psycopg.Connection, version: str) -> LoadResult:
    """What loaded_layer does: validate, then load with the read-model refresh in the transaction."""
    assert validate_registered(conn, registered_layer(conn, version)).valid
    conn.commit()
    return load_layer(
        conn, version, after_load=lambda c, r: refresh_passport_overview(c, r.touched_passports)
    )


def register_export(conn: psycopg.Connection, export: Path, home: Path) -> list[str]:
    registered = register(conn, export, StrataHome(home).ensure())
    conn.commit()
    return [
        v
        for (v,) in conn.execute(
            "SELECT version FROM loader_file_layer WHERE file_id = %s ORDER BY version", (registered.id,)
        )
    ]
