"""Registering exports: dedupe, 7z, archive, and bad input that leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import orjson
import psycopg
import pytest

from pipelines.core.exceptions import DuplicateFileError, ExportFormatError
from pipelines.core.settings import StrataHome
from pipelines.intake.archive import get_file, list_files
from pipelines.intake.registration import register
from pipelines.sample.export import write_sample
from tests.support.intake_helpers import (
    export_doc,
    leftovers,
    registry_rows,
    report,
    write_7z,
    write_json,
)


@pytest.fixture
def home(tmp_path: Path) -> StrataHome:
    return StrataHome(tmp_path / "home").ensure()


@pytest.fixture
def sample_export(tmp_path: Path) -> Path:
    write_sample(tmp_path / "sample", seed=2, layers=3, seven_zip=True)
    return tmp_path / "sample" / "export.json"


def _spools(conn: psycopg.Connection, file_id: int) -> dict[str, bytes]:
    rows = conn.execute("SELECT version, spool_path FROM loader_file_layer WHERE file_id = %s", (file_id,))
    return {version: Path(path).read_bytes() for version, path in rows}


def test_the_same_bytes_twice_are_refused_and_nothing_changes(conn, home, sample_export, tmp_path) -> None:
    first = register(conn, sample_export, home)
    before = (registry_rows(conn), leftovers(home))
    copy = tmp_path / "again.json"
    copy.write_bytes(sample_export.read_bytes())
    with pytest.raises(DuplicateFileError, match=rf"file {first.id} \(export.json\) on \d{{4}}-\d\d-\d\d"):
        register(conn, copy, home)
    assert (registry_rows(conn), leftovers(home)) == before
    assert register(conn, copy, home, reuse=True).id == first.id
    assert (registry_rows(conn), leftovers(home)) == before


def test_json_and_7z_of_one_export_give_identical_spools(conn, home, sample_export) -> None:
    as_json = register(conn, sample_export, home)
    as_7z = register(conn, sample_export.with_suffix(".7z"), home)
    assert as_7z.format == "7z" and as_7z.sha256 != as_json.sha256
    spools = _spools(conn, as_json.id)
    assert len(spools) == 3 and spools == _spools(conn, as_7z.id)
    layers = orjson.loads(sample_export.read_bytes())["layers"]
    for layer in layers:
        lines = spools[layer["version"]].splitlines()
        assert [orjson.loads(line) for line in lines] == layer["reports"]


def test_the_archive_keeps_the_upload_as_it_was(conn, home, sample_export, tmp_path) -> None:
    registered = register(conn, sample_export.with_suffix(".7z"), home)
    sample_export.with_suffix(".7z").unlink()  # the drop folder was cleaned
    [summary] = list_files(conn)
    assert (summary.id, summary.format, summary.layers) == (registered.id, "7z", 3)
    back = get_file(conn, registered.id, tmp_path)
    assert back.name == "export.7z" and registered.archive_path.read_bytes() == back.read_bytes()
    assert registered.archive_path.name.startswith(registered.sha256)


def _bad_inputs(tmp: Path) -> list[tuple[Path, str]]:
    good = orjson.dumps(export_doc({"2026-01": [report("P-1")], "2026-02": [report("P-2")]}))
    no_json = tmp / "nojson.7z"
    write_7z(no_json, {"readme.txt": b"hello"})
    return [
        (write_json(tmp / "truncated.json", good[: len(good) // 2]), "byte"),
        (write_json(tmp / "notjson.json", b"this is not json at all"), "byte"),
        (write_json(tmp / "list.json", b"[1, 2, 3]"), ""),
        (write_json(tmp / "nolayers.json", {"source": "x"}), ""),
        (write_json(tmp / "noversion.json", {"layers": [{"reports": [report("P-1")]}]}), "layer"),
        (write_json(tmp / "badversion.json", export_doc({"2026-13": [report("P-1")]})), "layer"),
        (
            write_json(
                tmp / "twice.json",
                export_doc({"2026-01": []})
                | {"layers": [{"version": "2026-01", "reports": []}, {"version": "2026-01", "reports": []}]},
            ),
            "layer",
        ),
        (no_json, ""),
        (write_7z(tmp / "twojson.7z", {"a.json": good, "b.json": good}), ""),
        (write_json(tmp / "empty.json", b""), "byte 0"),
        (write_json(tmp / "export.csv", b"a,b\n1,2\n"), ""),
    ]


def test_every_bad_input_is_refused_clearly_and_leaves_nothing(conn, home, tmp_path) -> None:
    for path, position in _bad_inputs(tmp_path):
        with pytest.raises(ExportFormatError) as caught:
            register(conn, path, home)
        message = str(caught.value)
        assert path.name in message and position in message, message
        assert registry_rows(conn) == (0, 0), path.name
        assert leftovers(home) == [], path.name
