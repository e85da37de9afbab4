"""Progress of registration: the archive copy, a 7z's extraction and the split, in bytes of the file."""

from __future__ import annotations

from pathlib import Path

import orjson
import psycopg
import pytest

from pipelines.core.progress import Progress
from pipelines.core.settings import StrataHome
from pipelines.intake import split
from pipelines.intake.registration import register
from pipelines.intake.split import split_export
from tests.support.intake_helpers import write_7z
from tests.support.progress_helpers import Collected, assert_monotone_to_100
from tests.support.split_helpers import report, sample_doc


def big_doc() -> dict:
    return {
        "layers": [{"version": f"2026-0{i}", "reports": [report(n) for n in range(150)]} for i in (1, 2, 3)]
    }


def test_the_split_reports_bytes_read_of_the_file_and_the_layers_spooled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(split, "READ_SIZE", 4096)
    export = tmp_path / "export.json"
    export.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(big_doc()))
    events = Collected()
    split_export(export, tmp_path / "spools", progress=Progress(events.every))
    steps = assert_monotone_to_100(events.of("split", "export.json"))
    assert len(steps) > 20 and steps[-1].unit == "bytes"
    assert steps[-1].done == export.stat().st_size  # the skipped byte-order mark counts too
    assert steps[-1].note == "3 layers spooled, 450 reports"
    assert any(e.note.startswith("1 layer spooled") for e in steps)


def test_a_7z_reports_the_split_of_its_member_decompressed_as_it_is_read(tmp_path: Path) -> None:
    data = orjson.dumps(big_doc())
    archive = write_7z(tmp_path / "export.7z", {"export.json": data})
    events = Collected()
    split_export(archive, tmp_path / "spools", progress=Progress(events.every))
    assert assert_monotone_to_100(events.of("split", "export.7z/export.json"))[-1].done == len(data)
    assert [e.stage for e in events if e.final] == ["split"]  # no extraction step of its own


def test_registration_reports_the_archive_copy_and_the_split(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    export = tmp_path / "export.json"
    export.write_bytes(orjson.dumps(sample_doc()))
    events = Collected()
    register(conn, export, StrataHome(tmp_path / "home"), progress=Progress(events.every))
    conn.commit()
    assert assert_monotone_to_100(events.of("archive", "export.json"))[-1].done == export.stat().st_size
    assert assert_monotone_to_100(events.of("split", "export.json"))[-1].done == export.stat().st_size
    # the archive copy runs in a thread beside the split: both finish, in either order
    assert sorted(e.stage for e in events if e.final) == ["archive", "split"]
