"""Layers at a glance: every known version with its state, for `strata layers` and the
assets' metadata (one query, sql/load/layer_states.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg.rows import class_row

from pipelines.db.sql_text import read_sql

State = Literal["registered", "validated", "invalid", "loaded", "failed"]


@dataclass(frozen=True)
class LayerState:
    version: str
    state: State
    error_count: int
    errors_by_code: dict[str, int]
    validated_at: datetime | None
    loaded_at: datetime | None
    rows_written: int | None  # created + updated + removed by its load
    overwrites: int | None  # manual values its load overwrote
    reports: int | None
    file_id: int | None  # the export its loaded (else validated) content came from, else the newest
    file_name: str | None
    newest_file_id: int | None
    newer_content: bool  # the newest export holding it carries other content than file_id

    @property
    def source_file(self) -> str:
        return f"{self.file_name} (file {self.file_id})" if self.file_id is not None else "-"

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("validated_at", "loaded_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def layer_states(conn: psycopg.Connection) -> list[LayerState]:
    """Every version any export holds or any validation or load recorded, oldest first."""
    with conn.cursor(row_factory=class_row(LayerState)) as cur:
        return cur.execute(read_sql("load/layer_states"), {"version": None}).fetchall()


def layer_state(conn: psycopg.Connection, version: str) -> LayerState | None:
    with conn.cursor(row_factory=class_row(LayerState)) as cur:
        return cur.execute(read_sql("load/layer_states"), {"version": version}).fetchone()
