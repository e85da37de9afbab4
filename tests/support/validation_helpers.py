"""Shared steps of the validation tests: spool an export, seed, validate every layer in order.

Spools are written here with orjson (one report per line, as pipelines.intake.split
does), so these tests do not depend on the splitter.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import orjson
import psycopg

from pipelines.contract.analyst_errors import AnalystError
from pipelines.intake.spools import earlier_passport_ids
from pipelines.seed.seeding import seed
from pipelines.validation.spool_pass import ValidationResult, validate_layer

ErrorKey = tuple[str, str | None, str, str]


def write_spool(spool_dir: Path, version: str, reports: list[object]) -> Path:
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / f"{version}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in reports))
    return path


def spool_export(export: Path, spool_dir: Path) -> list[str]:
    """Split a (small) export into version spools; return the versions, oldest first."""
    document = orjson.loads(export.read_bytes())
    versions = []
    for layer in sorted(document["layers"], key=lambda layer: layer["version"]):
        write_spool(spool_dir, layer["version"], layer["reports"])
        versions.append(layer["version"])
    return versions


def make_export(make_export_py: Path, out: Path, *args: str) -> dict:
    """Run the reference generator into ``out``; return truth.json."""
    subprocess.run([sys.executable, str(make_export_py), str(out), *args], check=True, capture_output=True)
    return orjson.loads((out / "truth.json").read_bytes())


def validate_all(conn: psycopg.Connection, out: Path) -> dict[str, ValidationResult]:
    """Seed ``out/reference``, then validate each layer of ``out/export.json`` in order,
    passing the earlier layers' passports as validated but not loaded."""
    seed(conn, out / "reference")
    conn.commit()
    spool_dir = out / "spool"
    results = {}
    for version in spool_export(out / "export.json", spool_dir):
        earlier = earlier_passport_ids(spool_dir, version)
        results[version] = validate_layer(
            conn, spool_dir / f"{version}.jsonl", out / "mapped" / version, earlier_passports=earlier
        )
    return results


def keys(errors: list[AnalystError]) -> set[ErrorKey]:
    return {(e.entity, e.ext_id, e.field, str(e.code)) for e in errors}


def truth_keys(layer: dict) -> set[ErrorKey]:
    return {tuple(error) for error in layer["errors"]}


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# A small, explicit reference for hand-made layers: namesakes Ivanov Ivan Petrovich and
# Ivanov Igor Pavlovich share "Ivanov I. P.", so that spelling is ambiguous.
ProfileRow = tuple[int, str, str, str | None]  # profile_id, last, first, middle (None: has none)
PROFILES: list[ProfileRow] = [
    (1, "Ivanov", "Ivan", "Petrovich"),
    (2, "Ivanov", "Igor", "Pavlovich"),
    (3, "Smirnova", "Anna", "Sergeevna"),
    (4, "Kuznetsov", "Petr", "Olegovich"),
]
VOCABULARIES = {
    "categories": [("bridge", "Bridge", "Br|bridges"), ("road", "Road section", "rd")],
    "repair_types": [("patching", "Pothole patching", "patch"), ("resurfacing", "Resurfacing", "")],
    "sign_codes": [("1.1", "Sign 1.1", ""), ("3.24", "Sign 3.24", "3-24")],
    "measure_units": [("m", "metre", "meter|metre|м"), ("km", "kilometre", ""), ("cm", "centimetre", "")],
}
DB_PASSPORTS = [("P-DB-1", "Legacy bridge", "bridge", "North"), ("", "Never matched", "road", "South")]


def write_reference(folder: Path, profiles: list[ProfileRow] = PROFILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _csv(
        folder / "profiles.csv",
        ["profile_id", "last_name", "first_name", "middle_name", "email"],
        [(pid, last, first, middle or "", "") for pid, last, first, middle in profiles],
    )
    for name, rows in VOCABULARIES.items():
        _csv(folder / f"{name}.csv", ["code", "name", "aliases"], rows)
    _csv(folder / "passports.csv", ["ext_id", "name", "category", "region"], DB_PASSPORTS)
    return folder


def _csv(path: Path, header: list[str], rows: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def report(ext_id: str, **fields: object) -> dict:
    """A valid passport report; keyword arguments override or (with None values kept) add keys."""
    base: dict = {"id": ext_id, "name": f"Object {ext_id}", "category": "bridge", "status": "active"}
    base.update(fields)
    return base


def maintenance(ext_id: str, **fields: object) -> dict:
    base: dict = {"id": ext_id, "date": "2025-05-01", "repair_type": "patching"}
    base.update(fields)
    return base


def run_layer(
    conn: psycopg.Connection,
    folder: Path,
    reports: list[object],
    version: str = "2026-01",
    earlier: frozenset[str] = frozenset(),
) -> ValidationResult:
    spool = write_spool(folder / "spool", version, reports)
    return validate_layer(conn, spool, folder / "mapped" / version, earlier_passports=earlier)


def mapped_rows(result: ValidationResult, table: str) -> dict[str, list[str]]:
    return {row[0]: row for row in csv_rows(result.mapped[table])}
