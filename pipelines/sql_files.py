"""Named SQL kept in sql/: read once, looked up by path."""
from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@cache
def load(name: str) -> str:
    """The text of sql/<name>.sql, e.g. ``load("seed/profile")``."""
    return (SQL_DIR / f"{name}.sql").read_text()
