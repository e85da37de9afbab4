"""What the registered exports hold: the newest copy of a layer, and the layers still to load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from pipelines.db.sql_text import read_sql


@dataclass(frozen=True)
class RegisteredLayer:
    version: str
    reports: int
    bytes: int
    sha256: str
    spool_path: Path
    file_id: int
    file_name: str
    file_sha256: str


def newest_layer(conn: psycopg.Connection, version: str) -> RegisteredLayer | None:
    """The layer as the newest registered export holding it carries it (None: no export has it)."""
    row = conn.execute(read_sql("intake/newest_layer"), {"version": version}).fetchone()
    if row is None:
        return None
    return RegisteredLayer(row[0], row[1], row[2], row[3], Path(row[4]), row[5], row[6], row[7])


def earlier_copies(conn: psycopg.Connection, version: str, after: str | None) -> list[Path]:
    """The spools raw_layer reads of the versions older than ``version`` and newer than ``after``.

    Not only the same export's folder: a layer unchanged since an earlier registration is
    not written again, its copy stays where that registration put it (pipelines.intake.split)."""
    rows = conn.execute(read_sql("intake/earlier_copies"), {"version": version, "after": after})
    return [Path(spool_path) for _, spool_path in rows]


def layers_to_load(conn: psycopg.Connection, file_id: int) -> list[tuple[str, str]]:
    """(version, sha256) of the file's layers that are new or changed since last loaded."""
    return [(v, s) for v, s in conn.execute(read_sql("intake/layers_to_load"), {"file_id": file_id})]


@dataclass(frozen=True)
class FileLayer:
    """One layer of a registered export, as `strata register` and `strata load` list it."""

    version: str
    reports: int
    sha256: str
    loaded: bool  # loaded already with exactly this content


def file_layers(conn: psycopg.Connection, file_id: int) -> list[FileLayer]:
    """Every layer of the file, in version order."""
    return [FileLayer(*row) for row in conn.execute(read_sql("intake/file_layers"), {"file_id": file_id})]


def last_loaded(conn: psycopg.Connection) -> str | None:
    """The newest loaded version (None before the first load)."""
    row = conn.execute(read_sql("load/last_loaded")).fetchone()
    return row[0] if row else None
