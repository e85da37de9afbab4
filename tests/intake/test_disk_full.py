"""The spool's or the archive's disk full: a clear error, and nothing registered half-way.

No tmpfs without privileges here, so the disk fills up through the files Strata writes:
their write() raises ENOSPC after a budget of bytes, like a full filesystem does.
"""

from __future__ import annotations

import builtins
import errno
import shutil
from collections import namedtuple
from pathlib import Path

import psycopg
import pytest

from pipelines.core.exceptions import DiskSpaceError
from pipelines.core.settings import StrataHome
from pipelines.intake import archive, spool_writer
from pipelines.intake.registration import register
from tests.support.intake_helpers import (
    export_doc,
    leftovers,
    registry_rows,
    report,
    write_json,
)

LAYERS = {f"2026-0{m}": [report(f"P-{m}-{i}", name="x" * 200) for i in range(50)] for m in range(1, 4)}


class FullDisk:
    """An open() whose files accept ``budget`` bytes in all, then raise ENOSPC."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.hit = False

    def open(self, file, mode="r", *args, **kwargs):
        handle = builtins.open(file, mode, *args, **kwargs)
        if "w" not in mode and "a" not in mode:
            return handle
        disk, write = self, handle.write

        def limited(data):
            if len(data) > disk.budget:
                disk.hit = True
                raise OSError(errno.ENOSPC, "No space left on device", str(file))
            disk.budget -= len(data)
            return write(data)

        handle.write = limited
        return handle


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_json(tmp_path / "export.json", export_doc(LAYERS))


def _nothing_registered(conn: psycopg.Connection, home: StrataHome) -> None:
    conn.rollback()
    assert registry_rows(conn) == (0, 0)
    assert leftovers(home) == []


@pytest.mark.parametrize("where", ["spool", "archive"])
def test_disk_full_while_registering_leaves_nothing_and_says_so(
    conn: psycopg.Connection, export: Path, tmp_path: Path, monkeypatch, where: str
) -> None:
    home = StrataHome(tmp_path / "home")
    disk = FullDisk(budget=export.stat().st_size // 2)
    monkeypatch.setattr(spool_writer if where == "spool" else archive, "open", disk.open, raising=False)
    with pytest.raises(DiskSpaceError, match=r"export\.json: the disk filled up .*nothing was registered"):
        register(conn, export, home)
    assert disk.hit
    _nothing_registered(conn, home)

    monkeypatch.undo()  # space freed: the same file registers
    registered = register(conn, export, home)
    conn.commit()
    assert registry_rows(conn) == (1, len(LAYERS)) and registered.archive_path.is_file()


def test_too_little_free_space_is_refused_before_writing(
    conn: psycopg.Connection, export: Path, tmp_path: Path, monkeypatch
) -> None:
    home = StrataHome(tmp_path / "home")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 100, 100))
    with pytest.raises(DiskSpaceError, match=r"archiving export\.json needs [\d,]+ bytes .* only 100 bytes"):
        register(conn, export, home)
    _nothing_registered(conn, home)
