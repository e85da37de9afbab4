"""As-of reads: a passport or a maintenance record as it stood right after a loaded layer.

The SQL functions ``passport_asof`` and ``maintenance_asof`` (migration 0014) rebuild the
record from history, manual edits included up to the layer's cut-off (the moment its load
committed). This module only asks both and says which one answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import psycopg

from pipelines.core.exceptions import TerminalError
from pipelines.db.sql_text import read_sql

RecordKind = Literal["passport", "maintenance"]


class AsOfNotFound(TerminalError):
    """The layer was never loaded, or no such record existed right after it."""


@dataclass(frozen=True)
class AsOf:
    layer_loaded: bool
    passport: dict[str, Any] | None
    maintenance: dict[str, Any] | None


def read_asof(conn: psycopg.Connection, version: str, ext_id: str) -> AsOf:
    row = conn.execute(read_sql("load/asof"), {"version": version, "ext_id": ext_id}).fetchone()
    assert row is not None
    return AsOf(layer_loaded=row[0], passport=row[1], maintenance=row[2])


def record_asof(
    conn: psycopg.Connection, version: str, ext_id: str, entity: RecordKind | None = None
) -> dict[str, Any]:
    """The record of ``entity`` with this ext_id; without ``entity``, whichever kind has it.

    Passports and maintenance records have ext_ids of their own; should both kinds hold
    the same one, the caller must say which it means rather than get a guess."""
    found = read_asof(conn, version, ext_id)
    if not found.layer_loaded:
        raise AsOfNotFound(f"layer {version} was never loaded: no as-of state for it")
    states = {"passport": found.passport, "maintenance": found.maintenance}
    if entity is not None:
        state = states[entity]
        if state is None:
            raise AsOfNotFound(f"{entity} {ext_id} did not exist right after layer {version}")
        return state
    present = [kind for kind, state in states.items() if state is not None]
    if not present:
        raise AsOfNotFound(f"no passport or maintenance record {ext_id} existed right after layer {version}")
    if len(present) > 1:
        raise AsOfNotFound(
            f"both a passport and a maintenance record have ext_id {ext_id}: pass --passport or --maintenance"
        )
    state = states[present[0]]
    assert state is not None
    return state
