"""Splitting an export into layer spools (pipelines.intake.split, pipelines.intake.source).

No database: every test builds a small export in tmp_path. The round trip runs with
tiny read blocks too, so the drain between two blocks (the heart of the design) cuts
through reports, layers and keys at every possible spot.

Why the design: 183 MB export (make_export.py --passports 100000 --layers 6, 230,888
reports), the whole split each time (parse, orjson lines, sha256, write), best of 3 on
2 shared, busy cores; peak RSS 26-28 MB for all of them:
  split_export as built: items(f, "") + drain in read(), gc paused, 64 KiB  27.8 MB/s
    the same with the cyclic GC on                                         23.6 MB/s
    the same with 256 KiB / 1 MiB read blocks (1 MiB: 43 MB RSS)          22.5 / 19.2 MB/s
  items() on layers.item.reports.item, one file, no layers at all         23.3 MB/s
  ijson.parse events in a Python loop feeding the C items coroutine       13.0 MB/s
  ijson.parse + Python ObjectBuilder per report                           11.9 MB/s
  tee of parse events, C-level filter (compress/itemgetter) + coroutine    9.6 MB/s
  push parser into per-block event lists, C map() into the coroutine       9.3 MB/s
  (ceiling: items() counting reports, writing nothing                     39.9 MB/s)
A 916 MB export split with the same 27.5 MB peak RSS.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections import namedtuple
from pathlib import Path
from typing import Any

import orjson
import py7zr
import pytest

from pipelines.core.exceptions import DiskSpaceError, ExportFormatError
from pipelines.intake import source, split
from pipelines.intake.split import split_export
from pipelines.intake.spool_writer import SpoolWriter, read_manifest
from tests.support.paths import MAKE_EXPORT
from tests.support.split_helpers import BAD_SYNTAX, assert_round_trip, report, sample_doc

Usage = namedtuple("Usage", "total used free")


def write_export(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def write_7z(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with py7zr.SevenZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return path


@pytest.mark.parametrize("block", [1, 7, 64 * 1024])
def test_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(split, "READ_SIZE", block)
    doc = sample_doc()
    spool_dir = tmp_path / "out" / "spools"
    spools = split_export(write_export(tmp_path / "in" / "export.json", doc), spool_dir)
    assert_round_trip(doc, spools)
    assert sorted(p.name for p in spool_dir.iterdir()) == [
        "2026-01.jsonl",
        "2026-02.jsonl",
        "2026-03.jsonl",
        "manifest.json",
    ]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["spools"]  # no temp dirs left
    assert read_manifest(spool_dir) == spools
    manifest = orjson.loads((spool_dir / "manifest.json").read_bytes())
    assert (manifest["source"], manifest["exported_at"]) == ("registry-portal", "2026-11-01T03:00:00Z")
    assert spools[2].bytes == 0 and spools[2].released_at is None


def test_versions_sorted_when_layers_come_out_of_order(tmp_path: Path) -> None:
    doc = {
        "layers": [
            {"version": v, "reports": [report(i)]} for i, v in enumerate(["2026-03", "2025-12", "2026-01"])
        ]
    }
    spools = split_export(write_export(tmp_path / "export.json", doc), tmp_path / "spools")
    assert [s.version for s in spools] == ["2025-12", "2026-01", "2026-03"]
    assert [s.version for s in read_manifest(tmp_path / "spools")] == ["2025-12", "2026-01", "2026-03"]
    assert_round_trip(doc, spools)


def test_json_and_7z_give_identical_spools(tmp_path: Path) -> None:
    data = orjson.dumps(sample_doc())
    plain = split_export(write_export(tmp_path / "export.json", data), tmp_path / "a")
    archive = write_7z(tmp_path / "export.7z", {"export.json": data, "README.txt": b"not json"})
    packed = split_export(archive, tmp_path / "b")
    assert [(s.version, s.reports, s.bytes, s.sha256) for s in plain] == [
        (s.version, s.reports, s.bytes, s.sha256) for s in packed
    ]
    for a, b in zip(plain, packed, strict=False):
        assert a.path.read_bytes() == b.path.read_bytes()
    # streamed: nothing but the inputs and the two spool folders, no extracted member anywhere
    assert {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")} == {
        "export.json",
        "export.7z",
        "a",
        "b",
    }


def test_failure_keeps_an_earlier_split_and_success_replaces_it(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spools"
    split_export(write_export(tmp_path / "one.json", sample_doc()), spool_dir)
    before = {p.name: p.read_bytes() for p in spool_dir.iterdir()}
    with pytest.raises(ExportFormatError):
        split_export(write_export(tmp_path / "bad.json", b'{"layers": [{"version": "2026-0'), spool_dir)
    assert {p.name: p.read_bytes() for p in spool_dir.iterdir()} == before
    doc = {"layers": [{"version": "2027-01", "reports": [report(9)]}]}
    assert_round_trip(doc, split_export(write_export(tmp_path / "two.json", doc), spool_dir))
    assert sorted(p.name for p in spool_dir.iterdir()) == ["2027-01.jsonl", "manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "one.json", "spools", "two.json"]


def good_layer(version: str) -> dict[str, Any]:
    return {"version": version, "reports": [report(1)]}


TRUNCATED = orjson.dumps(sample_doc())[:-25]
BAD_INPUTS = [
    pytest.param("export.json", TRUNCATED, f"byte {len(TRUNCATED)}", "truncated", id="truncated"),
    pytest.param("export.json", BAD_SYNTAX, "byte 57", "not valid JSON", id="bad-literal"),
    pytest.param("export.json", b'{"layers": []} x', "byte 16", "trailing garbage", id="trailing-garbage"),
    pytest.param("export.json", b"PK\x03\x04 binary", "byte 1", "JSON object", id="not-json"),
    pytest.param("export.json", b"", "byte 0", "empty", id="empty-file"),
    pytest.param("export.json", b"  \n ", "byte 4", "truncated", id="only-whitespace"),
    pytest.param("export.json", b' [{"layers": []}]', "byte 2", "JSON object", id="top-level-array"),
    pytest.param("export.json", {"source": "x"}, "byte", 'no "layers"', id="no-layers"),
    pytest.param(
        "export.json",
        {"layers": {"item": good_layer("2026-01")}},
        "byte",
        '"layers" must be a list',
        id="layers-not-list",
    ),
    pytest.param(
        "export.json",
        {"layers": [good_layer("2026-01"), [good_layer("2026-02")]]},
        "layer 2",
        "must be an object",
        id="layer-not-object",
    ),
    pytest.param(
        "export.json",
        {"layers": [{"version": "2026-01", "reports": {"a": {}}}]},
        "layer 1 (2026-01)",
        '"reports" must be a list',
        id="reports-not-list",
    ),
    pytest.param(
        "export.json",
        {"layers": [{"reports": [report(1), 5], "version": "2026-01"}]},
        "layer 1 (2026-01)",
        "report 2 must be an object",
        id="report-not-object",
    ),
    pytest.param(
        "export.json", {"layers": [{"version": "2026-01"}]}, "layer 1", 'no "reports"', id="no-reports"
    ),
    pytest.param(
        "export.json",
        {"layers": [good_layer("2026-01"), {"reports": []}]},
        "layer 2",
        'no "version"',
        id="no-version",
    ),
    pytest.param(
        "export.json",
        {"layers": [good_layer("2026-13")]},
        "layer 1",
        "malformed version '2026-13'",
        id="month-13",
    ),
    pytest.param(
        "export.json", {"layers": [good_layer("2026-1")]}, "layer 1", "malformed version", id="short"
    ),
    pytest.param(
        "export.json",
        {"layers": [{"version": 202601, "reports": []}]},
        "layer 1",
        "malformed version",
        id="numeric-version",
    ),
    pytest.param(
        "export.json",
        {"layers": [good_layer(v) for v in ["2026-01", "2026-02", "2026-03", "2026-04", "2026-02"]]},
        "layer 5 (2026-02)",
        "version 2026-02 repeats layer 2",
        id="repeated-version",
    ),
    pytest.param("export.txt", b"{}", "file name", ".json and .7z", id="wrong-extension"),
    pytest.param(
        "export.7z", {"notes.txt": b"hello"}, "archive", "exactly one .json member", id="7z-no-json"
    ),
    pytest.param("export.7z", {"a.json": b"{}", "b.json": b"{}"}, "archive", "found 2", id="7z-two-json"),
    pytest.param("export.7z", b"7z\xbc\xaf\x27\x1c garbage", "archive", "not a readable 7z", id="7z-corrupt"),
    pytest.param("export.7z", b"", "byte 0", "empty", id="7z-empty-file"),
    pytest.param("export.7z", {"export.json": b""}, "byte 0", "empty", id="7z-empty-member"),
    pytest.param("export.7z", {"export.json": BAD_SYNTAX}, "byte 57", "not valid JSON", id="7z-bad-member"),
]


@pytest.mark.parametrize("block", [3, 64 * 1024])
@pytest.mark.parametrize(("name", "content", "position", "detail"), BAD_INPUTS)
def test_bad_input_is_refused_and_leaves_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    block: int,
    name: str,
    content: Any,
    position: str,
    detail: str,
) -> None:
    monkeypatch.setattr(split, "READ_SIZE", block)
    source = tmp_path / "in" / name
    if name.endswith(".7z") and isinstance(content, dict):
        write_7z(source, content)
    else:
        write_export(source, content)
    out = tmp_path / "out"
    with pytest.raises(ExportFormatError) as caught:
        split_export(source, out / "spools")
    error = caught.value
    assert error.file.startswith(name) and str(error).startswith(name)
    assert position in error.position and re.fullmatch(
        r"byte \d+|layer \d+( \(\d{4}-\d\d\))?|archive|file name", error.position
    )
    assert detail in error.detail
    assert not out.exists() or list(out.iterdir()) == []


def test_disk_space_is_checked_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = write_export(tmp_path / "in" / "export.json", sample_doc())
    monkeypatch.setattr(split.shutil, "disk_usage", lambda path: Usage(10**6, 10**6 - 100, 100))
    with pytest.raises(DiskSpaceError) as caught:
        split_export(export, tmp_path / "out" / "spools")
    message = str(caught.value)
    assert f"{export.stat().st_size:,} bytes" in message and "100 bytes" in message
    assert list((tmp_path / "out").iterdir()) == []


def test_a_7z_needs_room_for_its_spools_only_no_extracted_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = orjson.dumps(sample_doc())
    archive = write_7z(tmp_path / "in" / "export.7z", {"export.json": data})
    free = {"bytes": len(data) - 1}
    monkeypatch.setattr(source.shutil, "disk_usage", lambda path: Usage(10**6, 10**6 - 100, free["bytes"]))
    with pytest.raises(
        DiskSpaceError, match=f"splitting export.7z/export.json into layer spools needs {len(data):,} bytes"
    ):
        split_export(archive, tmp_path / "out" / "spools")
    assert list((tmp_path / "out").iterdir()) == []
    free["bytes"] = len(data)  # the member's size once: the spools; nothing is extracted beside them
    assert len(split_export(archive, tmp_path / "out" / "spools")) == len(sample_doc()["layers"])


def test_reference_generator_export(tmp_path: Path) -> None:
    """Acceptance against the generator that defines the format (docs/export-format.md)."""
    if not MAKE_EXPORT.is_file():
        pytest.skip("../shared not present: acceptance against the reference generator runs in CI")
    out = tmp_path / "gen"
    subprocess.run(
        [sys.executable, str(MAKE_EXPORT), str(out), "--passports", "300", "--layers", "3", "--seed", "5"],
        check=True,
        capture_output=True,
    )
    export = out / "export.json"
    spools = split_export(export, tmp_path / "spools")
    doc = orjson.loads(export.read_bytes())
    assert_round_trip(doc, spools)
    truth = json.loads((out / "truth.json").read_text())
    assert {s.version: s.reports for s in spools} == {t["version"]: t["reports"] for t in truth["layers"]}


def test_reports_leave_memory_while_their_layer_is_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound on memory: reports are spooled block by block, not per layer."""
    monkeypatch.setattr(split, "READ_SIZE", 512)
    writes: list[int] = []
    original = SpoolWriter.write

    def counting(self: Any, data: bytes, reports: int) -> None:
        writes.append(reports)
        original(self, data, reports)

    monkeypatch.setattr(SpoolWriter, "write", counting)
    doc = {"layers": [{"reports": [report(i) for i in range(200)], "version": "2026-01"}]}
    assert_round_trip(doc, split_export(write_export(tmp_path / "export.json", doc), tmp_path / "spools"))
    assert sum(writes) == 200 and len(writes) > 50 and max(writes) <= 2


def test_a_key_repeated_after_its_reports_were_spooled_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(split, "READ_SIZE", 1)
    data = b'{"layers": [{"version": "2026-01", "reports": [{"id": "a"}, {"id": "b"}], "reports": []}]}'
    with pytest.raises(ExportFormatError, match=r"layer 1 \(2026-01\): \"reports\" appears twice"):
        split_export(write_export(tmp_path / "export.json", data), tmp_path / "out" / "spools")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_7z_damaged_inside_its_member_is_refused_and_its_reader_thread_ends(tmp_path: Path) -> None:
    """The damage shows only while decompressing, after the split began: the error reaches the
    split through the queue, nothing is left, and py7zr's thread is gone."""
    doc = sample_doc()
    doc["layers"][0]["reports"] = [dict(doc["layers"][0]["reports"][0], id=f"P-{i}") for i in range(5000)]
    archive = write_7z(tmp_path / "in" / "export.7z", {"export.json": orjson.dumps(doc)})
    data = bytearray(archive.read_bytes())
    for at in range(len(data) // 3, len(data) // 3 + 64):  # inside the packed stream, past the headers
        data[at] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(ExportFormatError) as caught:
        split_export(archive, tmp_path / "out" / "spools")
    assert str(caught.value).startswith("export.7z: archive: not a readable 7z archive")
    assert list((tmp_path / "out").iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("7z ")]
