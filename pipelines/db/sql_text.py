"""Static SQL kept in ``sql/<stage>/<name>.sql``: read once, looked up by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@cache
def read_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``, e.g. ``read_sql("seed/profile")``."""
    return (SQL_DIR / f"{name}.sql").read_text()
