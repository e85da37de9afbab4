"""Registered exports, as kept in the archive: listing and getting a copy back."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from pipelines.core.exceptions import TerminalError
from pipelines.core.settings import StrataHome
from pipelines.db.sql_text import read_sql
from pipelines.intake.housekeeping import disk_bytes


@dataclass(frozen=True)
class FileSummary:
    id: int
    name: str
    format: str
    size_bytes: int
    registered_at: datetime
    sha256: str
    layers: int
    first_layer: str | None
    last_layer: str | None
    archive_path: Path


@dataclass(frozen=True)
class FileOnDisk:
    """What one registered export takes on disk: its archived original and its working set."""

    archive_bytes: int  # the upload as kept (a .7z stays compressed)
    working_bytes: int  # its spools and mapped rows still kept (pipelines.intake.housekeeping)


def list_files(conn: psycopg.Connection) -> list[FileSummary]:
    rows = conn.execute(read_sql("intake/list_files")).fetchall()
    return [
        FileSummary(i, n, f, s, at, sha, ls, first, last, Path(p))
        for i, n, f, s, at, sha, ls, first, last, p in rows
    ]


def on_disk(home: StrataHome, summary: FileSummary) -> FileOnDisk:
    return FileOnDisk(disk_bytes(summary.archive_path), disk_bytes(home.spool / summary.sha256))


def get_file(conn: psycopg.Connection, file_id: int, dest: Path) -> Path:
    """Copy the export as it was uploaded to ``dest`` (a folder keeps the original name)."""
    row = conn.execute(read_sql("intake/archived_file"), (file_id,)).fetchone()
    if row is None:
        raise TerminalError(f"no registered file has id {file_id} (see `strata files`)")
    name, archive_path = row
    target = dest / name if dest.is_dir() else dest
    if not Path(archive_path).is_file():
        raise TerminalError(f"file {file_id} ({name}): its archive copy {archive_path} is missing")
    shutil.copyfile(archive_path, target)
    return target
