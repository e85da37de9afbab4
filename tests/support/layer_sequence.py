"""A known sequence: a sample export loaded layer by layer, with analysts' edits by hand before
the second layer, and the tables snapshotted (from the tables, not history) around every load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from tests.support.live_states import (
    maintenance_states,
    passport_states,
    register_export,
    table_rows,
    validate_and_load,
)

PLAIN = ("name", "status", "region")  # fields the portal never re-spells


@dataclass
class Snapshot:
    before: dict[str, dict[int, dict[str, Any]]]  # table rows right before the layer's load
    after: dict[str, dict[int, dict[str, Any]]]  # ... and right after it
    passports: dict[str, dict[str, Any]]
    maintenance: dict[str, dict[str, Any]]
    report_id: int


@dataclass
class Sequence:
    versions: list[str]
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    edited: dict[str, str] = field(default_factory=dict)  # what each edit touched, by role


def load_with_edits(conn: psycopg.Connection, tmp_path: Path) -> Sequence:
    write_sample(tmp_path / "s", seed=12, passports=100, layers=4)
    seed(conn, tmp_path / "s" / "reference")
    export = tmp_path / "s" / "export.json"
    layers = {layer["version"]: layer["reports"] for layer in json.loads(export.read_text())["layers"]}
    run = Sequence(register_export(conn, export, tmp_path / "home"))
    for n, version in enumerate(run.versions):
        if n == 1:
            run.edited = edit_by_hand(conn, layers, run.versions)
        before = table_rows(conn)
        result = validate_and_load(conn, version)
        run.snapshots[version] = Snapshot(
            before, table_rows(conn), passport_states(conn), maintenance_states(conn), result.report_id
        )
        conn.commit()
    return run


def edit_by_hand(
    conn: psycopg.Connection, layers: dict[str, list[dict]], versions: list[str]
) -> dict[str, str]:
    """Every kind of manual write, committed between the first and the second layer."""
    first = {r["id"]: r for r in layers[versions[0]]}
    later = {r["id"] for v in versions[1:] for r in layers[v]}
    untouched = [i for i in first if i not in later and first[i].get("maintenance") and first[i].get("signs")]
    changed = next(
        r["id"]
        for r in layers[versions[1]]
        if r["id"] in first and any(r.get(k) != first[r["id"]].get(k) for k in PLAIN)
    )
    keep, other = untouched[0], untouched[1]
    q = conn.execute
    q("UPDATE passport SET region = 'Edited by hand' WHERE ext_id = %s", (changed,))
    q("UPDATE passport SET name = name || ' (by hand)' WHERE ext_id = %s", (keep,))
    moved = first[keep]["maintenance"][0]["id"]
    costly = first[other]["maintenance"][0]["id"]
    q("UPDATE maintenance SET cost = 4321.00 WHERE ext_id = %s", (costly,))
    q(
        "UPDATE maintenance SET passport_id = (SELECT id FROM passport WHERE ext_id = %s) WHERE ext_id = %s",
        (other, moved),
    )
    q("UPDATE measurement SET value = 99.5 WHERE id = (SELECT min(id) FROM measurement)")
    q("DELETE FROM sign WHERE ext_id = %s", (first[keep]["signs"][0]["id"],))
    q(
        "INSERT INTO sign (passport_id, sign_code_id, condition) "
        "SELECT id, (SELECT min(id) FROM sign_code), 'drawn by hand' FROM passport WHERE ext_id = %s",
        (keep,),
    )
    q(
        "INSERT INTO maintenance_crew (maintenance_id, profile_id) "
        "SELECT id, (SELECT max(id) FROM profile) FROM maintenance WHERE ext_id = %s ON CONFLICT DO NOTHING",
        (costly,),
    )
    q("DELETE FROM maintenance_crew WHERE id = (SELECT min(id) FROM maintenance_crew)")
    q("INSERT INTO passport (ext_id, name, status) VALUES ('HAND-1', 'Drawn by hand', 'active')")
    q(
        "INSERT INTO maintenance (ext_id, passport_id, date, repair_type_id, cost) "
        "SELECT 'HAND-M1', id, '2026-01-15', (SELECT min(id) FROM repair_type), 10 FROM passport "
        "WHERE ext_id = 'HAND-1'"
    )
    conn.commit()
    return {"changed": changed, "kept": keep, "other": other, "moved": moved, "costly": costly}
