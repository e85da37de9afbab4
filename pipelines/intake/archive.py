"""Registered exports, as kept in the archive: copying one in, listing them, getting a copy back."""

from __future__ import annotations

import hashlib
import shutil
import threading
import uuid
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


CHUNK = 1 << 20
INCOMING = ".incoming-"  # an archive copy not finished yet (housekeeping removes leftovers)


class ArchiveCopy:
    """The upload copied into the archive folder under a temporary name, hashed on the way, in a
    thread of its own while the split parses the same file (reading, hashing and writing release
    the GIL, so on a second core the pass costs the split nothing: BENCHMARKS.md, monthly run).

    The caller polls between two blocks of its own work (``done``, ``bytes_done``) and reaps it
    with ``result``; ``cancel`` stops it at its next chunk. A failed or cancelled copy leaves no
    file behind. Why a copy and not a hard link to the upload: a link shares the inode, so a
    `cp` of next month's export over the same name in the drop folder would rewrite the
    archived original in place."""

    def __init__(self, source: Path, archive: Path) -> None:
        self.source = source
        self.staged = archive / f"{INCOMING}{uuid.uuid4().hex}{source.suffix.lower()}"
        self.bytes_done = 0
        self._sha = hashlib.sha256()
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._copy, name=f"archive {source.name}", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        try:
            with open(self.source, "rb") as source, open(self.staged, "wb") as target:
                while (chunk := source.read(CHUNK)) and not self._cancelled.is_set():
                    self._sha.update(chunk)
                    target.write(chunk)
                    self.bytes_done += len(chunk)
            if self._cancelled.is_set():
                self.staged.unlink(missing_ok=True)
        except BaseException as exc:  # raised again in the caller's thread by result()
            self.staged.unlink(missing_ok=True)  # a disk that filled up mid-copy keeps no partial copy
            self._error = exc

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self) -> str:
        """Wait for the copy; its sha256 (the copy's own error, e.g. a full disk, is raised here)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._sha.hexdigest()

    def cancel(self) -> None:
        """Stop and remove the copy (the registration failed); waits for the thread to notice."""
        self._cancelled.set()
        self._thread.join()
        self.staged.unlink(missing_ok=True)


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
