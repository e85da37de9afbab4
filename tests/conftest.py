"""Real PostgreSQL for every integration test.

One server per test session: the embedded one in a temporary folder, or the
server of DATABASE_URL when set (its user must be allowed to CREATE DATABASE).
Migrations run once into a template database; each test gets a fresh copy of it,
so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from pipelines.core.settings import StrataHome
from pipelines.db import embedded
from pipelines.db.connection import connect, ensure_database
from pipelines.db.migrations import migrate
from pipelines.db.urls import with_database
from tests.support.postgres import embedded_home

TEMPLATE = "strata_test_template"


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield with_database(external, "postgres")
        return
    with embedded_home() as home:
        yield embedded.start(home)


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
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE)
            )
        )
    yield with_database(server_url, name)
    with connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with connect(db_url) as connection:
        yield connection


@pytest.fixture
def cli_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[StrataHome]:
    """A STRATA_HOME of its own with its embedded server, as the `strata` command finds it from the
    environment (DATABASE_URL unset, DAGSTER_HOME inside it; both restored after the test)."""
    with embedded_home() as strata_home:
        monkeypatch.setenv("STRATA_HOME", str(strata_home.root))
        monkeypatch.setenv("DAGSTER_HOME", str(strata_home.dagster_home))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield strata_home
