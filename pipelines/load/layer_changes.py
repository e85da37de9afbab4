"""What a layer changed: per table, rows created, updated (columns old → new), manual values
overwritten, rows deleted — read from history by the SQL function ``layer_changes``
(migration 0015), grouped here per row for `strata changes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg

from pipelines.core.exceptions import TerminalError
from pipelines.db.sql_text import read_sql

ChangeKind = Literal["created", "updated", "overwritten", "deleted"]
KINDS: tuple[ChangeKind, ...] = ("created", "updated", "overwritten", "deleted")


@dataclass(frozen=True)
class RowChange:
    """One row a layer wrote. ``columns``: for updated and overwritten rows, column → (old, new)
    (for overwritten: the manual value → the imported one); ``values``: a created or deleted row."""

    row_id: int
    ext_id: str | None
    columns: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    values: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row_id": self.row_id, "ext_id": self.ext_id}
        if self.values is not None:
            out["row"] = self.values
        if self.columns:
            out["columns"] = {c: {"old": old, "new": new} for c, (old, new) in self.columns.items()}
        return out


@dataclass
class TableChanges:
    created: list[RowChange] = field(default_factory=list)
    updated: list[RowChange] = field(default_factory=list)
    overwritten: list[RowChange] = field(default_factory=list)
    deleted: list[RowChange] = field(default_factory=list)

    def of(self, kind: ChangeKind) -> list[RowChange]:
        return getattr(self, kind)


@dataclass(frozen=True)
class LayerChanges:
    version: str
    tables: dict[str, TableChanges]

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.version,
            "tables": {
                table: {kind: [r.as_dict() for r in changes.of(kind)] for kind in KINDS}
                for table, changes in self.tables.items()
            },
        }


def layer_changes(conn: psycopg.Connection, version: str) -> LayerChanges:
    """Every write of the layer's load(s), grouped by table, kind and row."""
    known = conn.execute(read_sql("load/layer_loaded"), {"version": version}).fetchone()
    if not known or not known[0]:
        raise TerminalError(f"layer {version} was never loaded: it changed nothing")
    tables: dict[str, TableChanges] = {}
    rows: dict[tuple[str, str, int], RowChange] = {}
    for table, kind, row_id, ext_id, column, old, new in conn.execute(
        read_sql("load/layer_changes"), {"version": version}
    ):
        changes = tables.setdefault(table, TableChanges())
        if kind in ("created", "deleted"):
            changes.of(kind).append(RowChange(row_id, ext_id, values=new if kind == "created" else old))
            continue
        key = (table, kind, row_id)
        if key not in rows:
            rows[key] = RowChange(row_id, ext_id)
            changes.of(kind).append(rows[key])
        rows[key].columns[column] = (old, new)
    return LayerChanges(version, tables)
