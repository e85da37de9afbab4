"""Registering an export: archive it as uploaded, dedupe by sha256, split it, record it.

A thread computes the hash while copying the file into the archive (keyed by hash, a 7z
stays compressed), so the drop folder can be cleaned at any time; the split parses the
same file meanwhile, and stops as soon as the hash names bytes registered already.
Layers registered already with the same content are not written again (pipelines.intake.split).
Registration is all or nothing: a duplicate, a bad file or a full disk leaves
no row, no archive copy and no spool behind.
"""

from __future__ import annotations

import errno
import shutil
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import psycopg

from pipelines.core import locks
from pipelines.core.exceptions import (
    DiskSpaceError,
    DuplicateFileError,
    ExportFormatError,
)
from pipelines.core.progress import Meter, Progress
from pipelines.core.settings import StrataHome
from pipelines.db.sql_text import read_sql
from pipelines.intake.archive import ArchiveCopy
from pipelines.intake.source import check_free_space
from pipelines.intake.split import split_export
from pipelines.intake.spool_writer import Known, LayerSpool

ExportFormat = Literal["json", "7z"]
FORMATS: dict[str, ExportFormat] = {".json": "json", ".7z": "7z"}
# Held until the caller's transaction ends (the registration's row commits with it).


@dataclass(frozen=True)
class RegisteredFile:
    id: int
    name: str
    sha256: str
    size_bytes: int
    format: ExportFormat
    archive_path: Path
    registered_at: datetime
    reused: bool = False


def export_format(path: Path) -> ExportFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ExportFormatError(path.name, "file name", f"accepted exports are {', '.join(FORMATS)} files")
    return fmt


def register(
    conn: psycopg.Connection,
    path: Path,
    home: StrataHome,
    *,
    reuse: bool = False,
    progress: Progress | None = None,
) -> RegisteredFile:
    """Register ``path``; the same bytes again raise DuplicateFileError, or with
    ``reuse`` return the earlier registration (what `strata load` wants).

    ``conn`` must not be in autocommit mode: the registration's lock and row live in the
    caller's transaction, which the caller commits. ``progress`` hears the archive copy
    and the split."""
    if conn.autocommit:
        raise TypeError("register() needs a connection with transactions (autocommit=False)")
    fmt = export_format(path)
    size = path.stat().st_size
    if size == 0:
        raise ExportFormatError(path.name, "byte 0", "the file is empty")
    home.ensure()
    check_free_space(home.archive, size, f"archiving {path.name}")
    try:
        return _register(conn, path, home, fmt, size, reuse, progress or Progress())
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskSpaceError(
                f"{path.name}: the disk filled up while registering it ({exc}); "
                "nothing was registered: free space and drop the file again"
            ) from exc
        raise


def _register(
    conn: psycopg.Connection,
    path: Path,
    home: StrataHome,
    fmt: ExportFormat,
    size: int,
    reuse: bool,
    progress: Progress,
) -> RegisteredFile:
    """Archive and hash (in a thread) while splitting; dedupe as soon as the hash is known; record.

    Whatever it created is removed unless the row commits."""
    conn.execute(locks.XACT_LOCK_SHARED, (locks.SPOOLS,))  # housekeeping keeps off until we commit
    known = _layer_copies(conn, home)
    copy = ArchiveCopy(path, home.archive)
    dedupe = _Dedupe(conn, path, copy, progress.meter("archive", path.name, size, "bytes"))
    pending = home.spool / f".pending-{uuid.uuid4().hex}"
    created: list[Path] = []
    try:
        try:
            layers = split_export(path, pending, known=known, progress=progress, between_blocks=dedupe.poll)
        except _AlreadyRegistered:
            layers = []  # the hash matched a registration: the split was stopped, nothing kept
        created.append(pending)
        dedupe.settle()  # the hash (and, for a tiny file, the dedupe) may come after the split
        if dedupe.earlier is not None:
            return _earlier(path, dedupe.sha256, dedupe.earlier, reuse)
        sha256 = dedupe.sha256
        archived = _archive_path(home, sha256, path.suffix.lower())
        if not archived.exists():
            archived.parent.mkdir(parents=True, exist_ok=True)
            copy.staged.rename(archived)
            created.append(archived)
        spool = home.spool / sha256
        shutil.rmtree(spool, ignore_errors=True)  # no row holds it: a leftover of an interrupted run
        pending.rename(spool)
        created[0] = spool
        layers = [layer if layer.reused else replace(layer, path=spool / layer.path.name) for layer in layers]
        registered = _record(conn, path, sha256, size, fmt, archived, layers)
        created = []
        return registered
    finally:
        copy.cancel()  # a no-op once the copy was moved into place
        for leftover in created:
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(
                missing_ok=True
            )


class _AlreadyRegistered(Exception):
    """Stops the split: these bytes are registered already."""


class _Dedupe:
    """Between two blocks of the split: the archive copy's progress, and once its hash is known,
    the registration lock and the look-up of an earlier registration of the same bytes."""

    def __init__(self, conn: psycopg.Connection, path: Path, copy: ArchiveCopy, meter: Meter) -> None:
        self.conn, self.path, self.copy, self.meter = conn, path, copy, meter
        self.sha256 = ""
        self.earlier: tuple[Any, ...] | None = None

    def poll(self) -> None:
        if self.sha256:
            return
        if not self.copy.done:
            self.meter.update(self.copy.bytes_done)
            return
        self.settle()
        if self.earlier is not None:
            raise _AlreadyRegistered

    def settle(self) -> None:
        """Wait for the hash, then look for the same bytes registered (once)."""
        if self.sha256:
            return
        sha256 = self.copy.result()
        self.meter.finish()
        # Two registrations of the same bytes at once (the sensor and `strata register`) must not
        # share the archive copy and the spool folder: the second waits here until the first
        # commits, then finds its row below and leaves the first one's files alone.
        self.conn.execute(locks.REGISTRATION_XACT_LOCK, {"sha256": sha256})
        self.earlier = self.conn.execute(read_sql("intake/find_file"), {"sha256": sha256}).fetchone()
        self.sha256 = sha256


def _earlier(path: Path, sha256: str, earlier: tuple[Any, ...], reuse: bool) -> RegisteredFile:
    """The earlier registration of the same bytes (``reuse``), or the refusal that names it."""
    if reuse:
        return RegisteredFile(
            earlier[0], earlier[1], sha256, earlier[2], earlier[3], Path(earlier[4]), earlier[5], reused=True
        )
    raise DuplicateFileError(
        f"{path.name}: these bytes were registered already as file {earlier[0]} "
        f"({earlier[1]}) on {earlier[5]:%Y-%m-%d %H:%M:%S %Z}; nothing changed"
    )


def _record(
    conn: psycopg.Connection,
    path: Path,
    sha256: str,
    size: int,
    fmt: ExportFormat,
    archived: Path,
    layers: list[LayerSpool],
) -> RegisteredFile:
    with conn.transaction():
        row = conn.execute(
            read_sql("intake/insert_file"),
            {
                "sha256": sha256,
                "name": path.name,
                "size_bytes": size,
                "format": fmt,
                "archive_path": str(archived),
            },
        ).fetchone()
        if row is None:
            raise DuplicateFileError(
                f"{path.name}: the same bytes were registered at the same moment "
                "by another process; nothing changed"
            )
        file_id, registered_at = row
        with conn.cursor() as cur:
            cur.executemany(
                read_sql("intake/insert_layer"),
                [
                    {
                        "file_id": file_id,
                        "version": layer.version,
                        "released_at": layer.released_at,
                        "reports": layer.reports,
                        "bytes": layer.bytes,
                        "sha256": layer.sha256,
                        "spool_path": str(layer.path),
                    }
                    for layer in layers
                ],
            )
    return RegisteredFile(file_id, path.name, sha256, size, fmt, archived, registered_at)


def _layer_copies(conn: psycopg.Connection, home: StrataHome) -> Known:
    """Every registered layer copy on disk, by version and content: the split writes nothing for
    a layer found here with the same content. Newest registration first, so that the copy
    raw_layer reads is the one reused; only copies in this home's spool folder, which its
    housekeeping keeps while a registration refers to them (sql/intake/spent_layer_copies.sql)."""
    known: dict[str, dict[str, Path]] = {}
    ours = home.spool.resolve()  # the home may be reached through a link, now or when it was recorded
    for version, sha256, spool_path in conn.execute(read_sql("intake/layer_copies")):
        spool = Path(spool_path)
        if spool.resolve().is_relative_to(ours) and spool.is_file():
            known.setdefault(version, {}).setdefault(sha256, spool)
    return known


def _archive_path(home: StrataHome, sha256: str, suffix: str) -> Path:
    return home.archive / sha256[:2] / f"{sha256}{suffix}"
