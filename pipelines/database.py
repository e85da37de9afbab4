"""Reaching the database: the embedded server by default, DATABASE_URL otherwise."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from pipelines import embedded_db
from pipelines.errors import TransientError
from pipelines.settings import DAGSTER_DATABASE, STRATA_DATABASE, Settings
from pipelines.urls import database_name, with_database


@dataclass(frozen=True)
class DatabaseUrls:
    """Our database and Dagster's instance storage, on the same server."""

    strata: str
    dagster: str


def resolve(settings: Settings) -> DatabaseUrls:
    """Start the embedded server when needed; make sure both databases exist."""
    if settings.database_url:
        strata = settings.database_url
    else:
        strata = with_database(embedded_db.start(settings.home), STRATA_DATABASE)
    dagster = with_database(strata, DAGSTER_DATABASE)
    for url in (strata, dagster):
        ensure_database(url)
    return DatabaseUrls(strata=strata, dagster=dagster)


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connecting through the server's postgres db)."""
    name = database_name(url)
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it between our check and our create


@contextmanager
def connect(url: str, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A psycopg connection; a server that cannot be reached is a TransientError."""
    try:
        conn = psycopg.connect(url, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise TransientError(f"cannot reach PostgreSQL at {_safe(url)}: {exc}") from exc
    with conn:
        yield conn


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
