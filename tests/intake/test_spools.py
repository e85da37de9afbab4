"""earlier_passport_ids: read from an earlier layer's mapped passport.csv when it is complete,
else from its spool; both give the ids a parent reference can name."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson

from pipelines.intake.spools import (
    earlier_passport_ids,
    mapped_passport_ids,
    passport_ids,
)

REPORTS = [
    {"id": "P-1", "name": "a, with comma"},
    {"id": "P-2"},
    {"id": "P-1"},
    {"id": None},
    {"id": 7},
    {"id": 'P,3 "quoted"'},
    {"name": "no id"},
]


def _spool(folder: Path, version: str) -> Path:
    spool = folder / f"{version}.jsonl"
    spool.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in REPORTS) + b"not json\n")
    return spool


def _mapped(spool: Path, ids: list[str], rows: int) -> None:
    folder = spool.with_suffix(".mapped")
    folder.mkdir()
    with open(folder / "passport.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([(i, "name, x", None) for i in ids])
    manifest = {"passport": {"file": "passport.csv", "columns": ["ext_id", "name", "region"], "rows": rows}}
    (folder / "manifest.json").write_bytes(orjson.dumps(manifest))


def test_the_mapped_rows_give_the_spools_ids(tmp_path: Path) -> None:
    spool = _spool(tmp_path, "2026-01")
    ids = ["P-1", "P-2", 'P,3 "quoted"']
    _mapped(spool, ids, rows=3)
    assert mapped_passport_ids(spool) == passport_ids(spool) == set(ids)
    assert earlier_passport_ids(tmp_path, "2026-02") == set(ids)


def test_incomplete_or_missing_mapped_rows_fall_back_to_the_spool(tmp_path: Path) -> None:
    spool = _spool(tmp_path, "2026-01")
    assert mapped_passport_ids(spool) is None
    _mapped(spool, ["P-1"], rows=3)  # half written: the manifest promises more rows
    assert mapped_passport_ids(spool) is None
    assert earlier_passport_ids(tmp_path, "2026-02") == {"P-1", "P-2", 'P,3 "quoted"'}


def test_only_layers_between_the_last_loaded_and_this_one_are_read(tmp_path: Path) -> None:
    for version in ("2026-01", "2026-02", "2026-03"):
        _spool(tmp_path, version)
    assert earlier_passport_ids(tmp_path, "2026-03", after="2026-02") == set()
    assert earlier_passport_ids(tmp_path, "2026-03", after="2026-01") == {"P-1", "P-2", 'P,3 "quoted"'}
