"""Comparing the database after a load with expected.json / truth.json."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg

from pipelines.contract.declarations import ENTITIES, LINKS
from pipelines.core.settings import StrataHome
from pipelines.intake.registration import register
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.validation.registered import registered_layer, validate_registered

_WRITTEN = (*(entity.table for entity in ENTITIES), *(link.table for link in LINKS))
# Every table a layer load writes, and its history table: what "the load wrote nothing" counts.
IMPORTED: tuple[str, ...] = (*_WRITTEN, *(f"{table}_history" for table in _WRITTEN))

PASSPORT = """
SELECT p.id, p.name, c.code, p.status, p.region, pp.ext_id, p.commissioned::text, p.length_value, u.code,
       p.inspector_id,
       (SELECT count(*) FROM passport_history h WHERE h.row_id = p.id AND h.imported),
       (SELECT count(*) FROM sign s WHERE s.passport_id = p.id)
FROM passport p
LEFT JOIN category c ON c.id = p.category_id
LEFT JOIN passport pp ON pp.id = p.parent_id
LEFT JOIN measure_unit u ON u.id = p.length_unit_id
WHERE p.ext_id = %s"""
MAINTENANCE = """
SELECT m.ext_id, m.date::text, r.code, m.performed_by_id, m.cost,
       coalesce((SELECT array_agg(c.profile_id ORDER BY c.profile_id) FROM maintenance_crew c
                 WHERE c.maintenance_id = m.id), '{}'),
       (SELECT count(*) FROM measurement x WHERE x.maintenance_id = m.id)
FROM maintenance m JOIN repair_type r ON r.id = m.repair_type_id
WHERE m.passport_id = %s ORDER BY m.ext_id"""
FINAL = """
SELECT (SELECT count(*) FROM passport), (SELECT count(*) FROM passport WHERE report_id IS NOT NULL),
       (SELECT count(*) FROM maintenance), (SELECT count(*) FROM measurement), (SELECT count(*) FROM sign),
       (SELECT count(*) FROM maintenance_crew),
       (SELECT count(*) FROM passport_history WHERE imported)"""


def load_export(
    conn: psycopg.Connection, export: Path, home: StrataHome, through: str | None = None
) -> list[LoadResult]:
    """Register, then validate and load every layer in order (the engine's path, no Dagster)."""
    registered = register(conn, export, home, reuse=True)
    versions = [
        v
        for (v,) in conn.execute(
            "SELECT version FROM loader_file_layer WHERE file_id = %s ORDER BY version", (registered.id,)
        )
    ]
    results = []
    for version in versions:
        if through and version > through:
            break
        validation = validate_registered(conn, registered_layer(conn, version))
        assert validation.valid, validation.errors[:5]
        conn.commit()
        results.append(load_layer(conn, version))
    return results


def assert_final_state(conn: psycopg.Connection, expected: dict) -> None:
    final = expected["final"]
    got = conn.execute(FINAL).fetchone()
    assert got == (
        final["passports"],
        final["passports_from_export"],
        final["maintenance"],
        final["measurements"],
        final["signs"],
        final["crew_links"],
        final["passport_history_versions"],
    )
    for sample in expected["sample"]:
        _assert_passport(conn, sample)


def _assert_passport(conn: psycopg.Connection, s: dict) -> None:
    row = conn.execute(PASSPORT, (s["ext_id"],)).fetchone()
    assert row is not None, s["ext_id"]
    (
        pid,
        name,
        category,
        status,
        region,
        parent,
        commissioned,
        length_value,
        length_unit,
        inspector,
        history,
        signs,
    ) = row
    length = s["length"] or {"value": None, "unit": None}
    expected_length = None if length["value"] is None else Decimal(str(length["value"]))
    assert (
        name,
        category,
        status,
        region,
        parent,
        commissioned,
        length_value,
        length_unit,
        inspector,
        history,
        signs,
    ) == (
        s["name"],
        s["category"],
        s["status"],
        s["region"],
        s["parent_ext_id"],
        s["commissioned"],
        expected_length,
        length["unit"],
        s["inspector_profile_id"],
        s["history_versions"],
        s["signs"],
    ), s["ext_id"]
    maintenance = conn.execute(MAINTENANCE, (pid,)).fetchall()
    wanted = sorted(s["maintenance"], key=lambda m: m["ext_id"])
    assert [
        (m[0], m[1], m[2], m[3], None if m[4] is None else f"{m[4]:.2f}", list(m[5]), m[6])
        for m in maintenance
    ] == [
        (
            m["ext_id"],
            m["date"],
            m["repair_type"],
            m["performed_by_profile_id"],
            m["cost"],
            sorted(m["crew_profile_ids"]),
            m["measurements"],
        )
        for m in wanted
    ], s["ext_id"]
