"""Reading the reference CSVs of docs/export-format.md#reference-csvs, checked line by line.

Every problem is a SeedError naming file, line and column, found before anything
is written, so a bad file never half-loads.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.exceptions import SeedError

Check = Callable[[str], str | None]  # returns a complaint, or None when the value is fine


def _positive_int(value: str) -> str | None:
    return None if value.isdigit() and int(value) > 0 else "must be a positive whole number"


@dataclass(frozen=True)
class CsvSpec:
    """One reference file: its columns, which must be filled, which are unique, extra checks."""

    file: str
    columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    checks: tuple[tuple[str, Check], ...] = ()


PROFILES = CsvSpec(
    "profiles.csv",
    ("profile_id", "last_name", "first_name", "middle_name", "email"),
    required=("profile_id", "last_name", "first_name"),
    unique=("profile_id",),
    checks=(("profile_id", _positive_int),),
)
PASSPORTS = CsvSpec(
    "passports.csv",
    ("ext_id", "name", "category", "region"),
    required=("name", "category"),
    unique=("ext_id",),
)


def vocabulary_spec(file: str) -> CsvSpec:
    return CsvSpec(file, ("code", "name", "aliases"), required=("code", "name"), unique=("code",))


@dataclass(frozen=True)
class CsvRows:
    """The rows of one file, each with the line it came from (for later error messages)."""

    path: Path
    lines: list[int]
    rows: list[dict[str, str]]


def read(folder: Path, spec: CsvSpec) -> CsvRows:
    path = folder / spec.file
    if not path.is_file():
        raise SeedError(str(path), 0, "-", "file not found")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        if set(header) != set(spec.columns):
            missing = sorted(set(spec.columns) - set(header))
            extra = sorted(set(header) - set(spec.columns))
            raise SeedError(
                str(path),
                1,
                ",".join(missing or extra) or "-",
                f"header must be {','.join(spec.columns)} (missing {missing}, unexpected {extra})",
            )
        lines: list[int] = []
        rows: list[dict[str, str]] = []
        seen: dict[str, dict[str, int]] = {column: {} for column in spec.unique}
        for row in reader:
            line = reader.line_num
            if None in row or any(value is None for value in row.values()):
                raise SeedError(str(path), line, "-", f"expected {len(spec.columns)} fields")
            clean = {column: row[column].strip() for column in spec.columns}
            _check_row(path, line, spec, clean, seen)
            lines.append(line)
            rows.append(clean)
    return CsvRows(path, lines, rows)


def _check_row(
    path: Path, line: int, spec: CsvSpec, row: dict[str, str], seen: dict[str, dict[str, int]]
) -> None:
    for column in spec.required:
        if not row[column]:
            raise SeedError(str(path), line, column, "is required")
    for column, check in spec.checks:
        complaint = check(row[column])
        if complaint:
            raise SeedError(str(path), line, column, f"{row[column]!r} {complaint}")
    for column in spec.unique:
        key = row[column].lower()
        if not key:
            continue
        if key in seen[column]:
            raise SeedError(str(path), line, column, f"{row[column]!r} repeats line {seen[column][key]}")
        seen[column][key] = line
