"""Exports as real tools write them: a Windows editor's byte-order mark and CRLF line ends, archives
made by the 7-Zip command line, and password-protected archives (pipelines.intake.source).

The 7-Zip tests need its command line (``apt-get install -y 7zip`` gives ``7zz``; CI installs it);
the py7zr-made encrypted archive runs everywhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import orjson
import py7zr
import pytest

from pipelines.core.exceptions import ExportFormatError
from pipelines.intake import split
from pipelines.intake.split import split_export
from tests.support.split_helpers import BAD_SYNTAX, assert_round_trip, sample_doc

ENCRYPTED = "the archive is encrypted (password-protected)"


def seven_zip() -> str:
    """The 7-Zip command line (7zz from the 7zip package, or 7z), or a skip that says how to get it."""
    found = shutil.which("7zz") or shutil.which("7z")
    if found is None:
        pytest.skip("the 7-Zip command line is not installed (apt-get install -y 7zip)")
    return found


def windows_text(doc: object) -> bytes:
    """What Notepad and friends save: indented, CRLF line ends, UTF-8 with a byte-order mark."""
    text = json.dumps(doc, ensure_ascii=False, indent=2).replace("\n", "\r\n") + "\r\n"
    return text.encode("utf-8-sig")


def pack(tool: str, archive: Path, member: Path, *options: str) -> Path:
    subprocess.run(
        [tool, "a", "-bd", "-y", *options, str(archive), str(member)],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=member.parent,
    )
    return archive


@pytest.mark.parametrize("block", [1, 3, 64 * 1024])
def test_a_bom_and_crlf_export_splits_like_a_plain_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(split, "READ_SIZE", block)
    doc = sample_doc()
    export = tmp_path / "export.json"
    export.write_bytes(windows_text(doc))
    assert export.read_bytes()[:3] == b"\xef\xbb\xbf" and b"\r\n" in export.read_bytes()
    spools = split_export(export, tmp_path / "spools")
    assert_round_trip(doc, spools)
    plain = tmp_path / "plain.json"
    plain.write_bytes(orjson.dumps(doc))
    same = split_export(plain, tmp_path / "plain")
    assert [(s.version, s.sha256) for s in spools] == [(s.version, s.sha256) for s in same]


def test_errors_in_a_bom_file_count_bytes_from_the_files_start(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_bytes(b"\xef\xbb\xbf" + BAD_SYNTAX)
    with pytest.raises(ExportFormatError) as caught:
        split_export(export, tmp_path / "spools")
    assert caught.value.position == "byte 60" and "not valid JSON" in caught.value.detail  # 57 + the mark


@pytest.mark.parametrize(
    ("content", "position", "detail"),
    [
        pytest.param(b"\xef\xbb\xbf", "byte 3", "truncated", id="only-a-mark"),
        pytest.param(
            b"\xef\xbb\xbf[]", "byte 4", "must be a JSON object, it starts with b'['", id="bom-array"
        ),
        pytest.param(b"\xef\xbb\xbf\xef\xbb\xbf{}", "byte 4", "it starts with b'\\xef'", id="two-marks"),
        pytest.param('{"layers": []}'.encode("utf-16"), "byte 1", "is UTF-16", id="utf-16"),
        pytest.param('{"layers": []}'.encode("utf-32"), "byte 1", "is UTF-32", id="utf-32"),
    ],
)
def test_other_openings_are_refused_by_name(
    tmp_path: Path, content: bytes, position: str, detail: str
) -> None:
    export = tmp_path / "export.json"
    export.write_bytes(content)
    with pytest.raises(ExportFormatError) as caught:
        split_export(export, tmp_path / "out" / "spools")
    assert caught.value.position == position and detail in caught.value.detail
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_7z_made_by_7zip_holding_a_bom_export(tmp_path: Path) -> None:
    tool = seven_zip()
    doc = sample_doc()
    member = tmp_path / "in" / "Export 2026-11.json"
    member.parent.mkdir()
    member.write_bytes(windows_text(doc))
    archive = pack(tool, tmp_path / "export.7z", member, "-mx=9")
    spools = split_export(archive, tmp_path / "spools")
    assert_round_trip(doc, spools)
    assert {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")} == {"in", "export.7z", "spools"}


@pytest.mark.parametrize("options", [("-pSECRET",), ("-pSECRET", "-mhe=on")], ids=["data", "data+names"])
def test_a_7zip_archive_with_a_password_is_named_encrypted(tmp_path: Path, options: tuple[str, ...]) -> None:
    tool = seven_zip()
    member = tmp_path / "in" / "export.json"
    member.parent.mkdir()
    member.write_bytes(orjson.dumps(sample_doc()))
    archive = pack(tool, tmp_path / "export.7z", member, *options)
    _assert_refused_as_encrypted(archive, tmp_path)


@pytest.mark.parametrize("header_encryption", [False, True], ids=["data", "data+names"])
def test_a_py7zr_archive_with_a_password_is_named_encrypted(tmp_path: Path, header_encryption: bool) -> None:
    archive = tmp_path / "export.7z"
    with py7zr.SevenZipFile(archive, "w", password="SECRET", header_encryption=header_encryption) as z:
        z.writestr(orjson.dumps(sample_doc()), "export.json")
    _assert_refused_as_encrypted(archive, tmp_path)


def _assert_refused_as_encrypted(archive: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportFormatError) as caught:
        split_export(archive, tmp_path / "out" / "spools")
    message = str(caught.value)
    assert message.startswith("export.7z: archive: ") and ENCRYPTED in message
    assert "{" not in message and "method" not in message  # no dump of py7zr's internals
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("options", [("-mx=1",), ("-mx=9", "-ms=on")], ids=["fast", "solid-max"])
def test_a_7zip_archive_streams_into_the_same_spools_as_its_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]
) -> None:
    """A member of several MB (many of py7zr's blocks through the queue): every spool byte-identical
    to the plain JSON's, nothing extracted beside them, and a known layer recognized in both."""
    tool = seven_zip()
    doc = sample_doc()
    big = doc["layers"][0]
    big["reports"] = [
        dict(big["reports"][0], id=f"P-{i}", name=f"Bridge {i} " + "x" * 200) for i in range(20_000)
    ]
    member = tmp_path / "in" / "export.json"
    member.parent.mkdir()
    member.write_bytes(orjson.dumps(doc))
    archive = pack(tool, tmp_path / "export.7z", member, *options)
    assert archive.stat().st_size < member.stat().st_size // 5
    plain = split_export(member, tmp_path / "plain")
    packed = split_export(archive, tmp_path / "packed")
    assert [(s.version, s.reports, s.sha256) for s in packed] == [
        (s.version, s.reports, s.sha256) for s in plain
    ]
    assert all(a.path.read_bytes() == b.path.read_bytes() for a, b in zip(plain, packed, strict=True))
    assert {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")} == {
        "in",
        "export.7z",
        "plain",
        "packed",
    }
    known = {plain[0].version: {plain[0].sha256: plain[0].path}}
    again = split_export(archive, tmp_path / "again", known=known)
    assert again[0].reused and again[0].path == plain[0].path
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted(
        ["manifest.json", *(f"{s.version}.jsonl" for s in plain[1:])]
    )
