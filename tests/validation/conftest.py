"""The small explicit reference the validation rule tests run against (real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.seed.seeding import seed
from tests.support.validation_helpers import write_reference


@pytest.fixture
def folder(conn: psycopg.Connection, tmp_path: Path) -> Path:
    seed(conn, write_reference(tmp_path / "reference"))
    conn.commit()
    return tmp_path
