"""Layers load strictly in version order; the engine enforces it, not only Dagster.

Checked inside the import lock, so two loads started at once cannot both pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from pipelines.core.exceptions import TerminalError
from pipelines.db.sql_text import read_sql


class LoadRefused(TerminalError):
    """The layer may not load now: order, or it did not validate."""


@dataclass(frozen=True)
class ReadyLayer:
    report_id: int
    mapped_path: Path
    sha256: str
    file_id: int | None


def check_ready(conn: psycopg.Connection, version: str) -> ReadyLayer:
    later = conn.execute(read_sql("load/later_loaded"), {"version": version}).fetchone()
    if later:
        raise LoadRefused(
            f"layer {version} is older than the loaded layer {later[0]}: "
            "layers load in version order, an older one cannot follow a newer one"
        )
    missing = [v for (v,) in conn.execute(read_sql("load/earlier_missing"), {"version": version})]
    if missing:
        raise LoadRefused(
            f"layer {version} cannot load before the earlier layers {', '.join(missing)}: load them first"
        )
    row = conn.execute(read_sql("load/validated"), {"version": version}).fetchone()
    if row is None or row[1] not in ("validated", "loaded") or row[2] or not row[3]:
        state = "was never validated" if row is None else f"has status {row[1]} with {row[2]} analyst errors"
        raise LoadRefused(
            f"layer {version} {state}: it loads only after layer_is_valid passed "
            f"(see `strata errors {version}`)"
        )
    return ReadyLayer(report_id=row[0], mapped_path=Path(row[3]), sha256=row[4], file_id=row[5])
