"""Read-model results as small markdown tables, for asset and check metadata."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipelines.core.markdown import cell, markdown_table
from pipelines.read_models.sync import Drift

CELL_WIDTH = 60


def drift_table(drifts: Sequence[Drift], limit: int = 20) -> str:
    """One line per drifted row: key, kind, and the differing columns, stored → expected."""
    rows = []
    for d in drifts[:limit]:
        if d.kind == "differs":
            detail = "; ".join(f"{c}: {_short(d.stored, c)} → {_short(d.expected, c)}" for c in d.columns)
        else:
            detail = "no stored row" if d.kind == "missing" else "stored, but the source has no such row"
        rows.append((d.canonical_pk, d.kind, detail))
    table = markdown_table(("canonical_pk", "kind", "difference"), rows, CELL_WIDTH)
    return table + (f"\n\n… and {len(drifts) - limit} more" if len(drifts) > limit else "")


def _short(values: dict[str, Any] | None, column: str) -> str:
    value = None if values is None else values.get(column)
    return cell(json.dumps(value, default=str) if isinstance(value, (dict, list)) else value, CELL_WIDTH)
