"""A layer's fix-up folder (errors, files to review) and its preview, for people and for the check's metadata.

``write_layer_folder`` puts everything an analyst needs for one version in one folder:
``errors.json`` (counts by code and every error), ``errors.csv`` (the same rows for
a spreadsheet), and the fix-up files ``profiles_to_create.json`` and ``mappings.sql``
(pipelines.fixups.review_files). ``preview_markdown`` renders the first errors as a table
for Dagster's metadata, where the full list would not fit.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

from pipelines.contract.analyst_errors import COLUMNS, AnalystError, counts_by_code
from pipelines.core.markdown import markdown_table
from pipelines.fixups.review_files import write_mappings_sql, write_profiles_to_create
from pipelines.validation.spool_pass import ValidationResult

PREVIEW_ROWS: Final = 20
PREVIEW_COLUMNS: Final = ("code", "entity", "ext_id", "passport_ext_id", "field", "value", "message")
CELL_LIMIT: Final = 80


@dataclass(frozen=True)
class LayerFolder:
    """Where a version's report files are; the asset check puts these paths in its metadata."""

    folder: Path
    errors_json: Path
    errors_csv: Path
    profiles_to_create: Path
    mappings_sql: Path


def write_layer_folder(result: ValidationResult, folder: Path) -> LayerFolder:
    """Write the four files of ``result`` into ``folder`` (created; earlier files replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = LayerFolder(
        folder,
        folder / "errors.json",
        folder / "errors.csv",
        folder / "profiles_to_create.json",
        folder / "mappings.sql",
    )
    write_errors_json(files.errors_json, result.version, result.errors)
    write_errors_csv(files.errors_csv, result.errors)
    write_profiles_to_create(files.profiles_to_create, result.version, result.unresolved)
    write_mappings_sql(files.mappings_sql, result.version, result.unresolved)
    return files


def write_errors_json(path: Path, version: str, errors: Sequence[AnalystError]) -> None:
    document = {
        "version": version,
        "status": "invalid" if errors else "validated",
        "error_count": len(errors),
        "counts_by_code": counts_by_code(list(errors)),
        "errors": [e.as_dict() for e in errors],
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


def write_errors_csv(path: Path, errors: Sequence[AnalystError]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows([e.as_dict()[c] for c in COLUMNS] for e in errors)


def preview_markdown(errors: Sequence[AnalystError], limit: int = PREVIEW_ROWS) -> str:
    """The first ``limit`` errors as a markdown table, and how many were left out."""
    if not errors:
        return "No analyst errors."
    rows = [[error.as_dict()[c] for c in PREVIEW_COLUMNS] for error in errors[:limit]]
    table = markdown_table(PREVIEW_COLUMNS, rows, CELL_LIMIT)
    if len(errors) > limit:
        table += f"\n\n… and {len(errors) - limit} more (see the full report)."
    return table
