"""Small markdown tables for Dagster metadata (check previews, drift lists, overwrites)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CELL_WIDTH = 80


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]], width: int = CELL_WIDTH) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value, width) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def cell(value: Any, width: int = CELL_WIDTH) -> str:
    """Table-safe: pipes and backslashes escaped, line breaks flattened, long values cut."""
    if value is None:
        return ""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
