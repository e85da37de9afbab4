"""Reaching the database: the embedded server by default, DATABASE_URL otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq, sql
from psycopg.abc import Params

from pipelines.core.exceptions import TransientError
from pipelines.core.settings import DAGSTER_DATABASE, STRATA_DATABASE, Settings
from pipelines.db import embedded
from pipelines.db.sql_text import read_sql
from pipelines.db.urls import database_name, with_database


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
        strata = with_database(embedded.start(settings.home), STRATA_DATABASE)
    dagster = with_database(strata, DAGSTER_DATABASE)
    for url in (strata, dagster):
        ensure_database(url)
    return DatabaseUrls(strata=strata, dagster=dagster)


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connecting through the server's postgres db)."""
    name = database_name(url)
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute(read_sql("db/database_exists"), (name,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it between our check and our create


# SQLSTATEs after which the same work may succeed if simply run again. Other
# OperationalErrors (e.g. 54000 program_limit_exceeded: a value too large for an
# index) fail the same way every time, so retrying them would only pile up runs.
TRANSIENT_SQLSTATES = (
    "08",  # connection exception
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "53",  # insufficient resources (disk full, out of memory, too many connections)
    "55P03",  # lock_not_available
    "57014",  # query_canceled (statement_timeout)
    "57P0",
)  # admin / crash shutdown, cannot connect now


def is_transient(exc: BaseException) -> bool:
    """True for driver errors a retry may cure: a lost connection, a serialization failure, a deadlock."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith(TRANSIENT_SQLSTATES)  # None: the client lost the server


def as_transient(exc: psycopg.Error, url: str) -> TransientError:
    """The TransientError that explains ``exc`` to a person (raise it ``from exc``)."""
    if exc.sqlstate in ("40001", "40P01"):
        what = "deadlock" if exc.sqlstate == "40P01" else "serialization failure"
        return TransientError(
            f"PostgreSQL aborted the transaction ({what}); it was rolled back, a retry runs it again: {exc}"
        )
    return TransientError(
        f"lost the connection to PostgreSQL at {_safe(url)} (the transaction was rolled "
        f"back; a retry runs it again once the server is back): {exc}"
    )


@contextmanager
def connect(url: str, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A psycopg connection. This is the engine's boundary to the driver: a server that
    cannot be reached, a connection lost mid-way, a serialization failure or a deadlock
    leave it as a TransientError (raised from the driver's error), which is what retry
    policies look at; every other error passes unchanged."""
    try:
        conn = psycopg.connect(url, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise TransientError(f"cannot reach PostgreSQL at {_safe(url)}: {exc}") from exc
    try:
        with conn:
            try:
                yield conn
            except BaseException:
                _cancel_running(conn)
                raise
    except psycopg.OperationalError as exc:
        if not is_transient(exc):
            raise
        raise as_transient(exc, url) from exc


def _cancel_running(conn: psycopg.Connection) -> None:
    """Left by an exception while a statement still runs (Ctrl-C, SIGTERM as a Dagster run's
    interrupt, which psycopg does not cancel on by itself): ask the server to cancel it, so the
    transaction ends now, not when a long statement would have finished."""
    if conn.closed or conn.pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
        return
    try:
        conn.cancel_safe(timeout=5.0)
    except Exception:  # the connection is closed right after: the server rolls back anyway
        pass


def one_row(
    conn: psycopg.Connection, query: str | sql.SQL | sql.Composed, params: Params | None = None
) -> tuple[Any, ...]:
    """The row of a statement that always returns exactly one (an aggregate, SHOW, a function call)."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise RuntimeError(f"expected one row from {query!r}, got none")
    return tuple(row)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
