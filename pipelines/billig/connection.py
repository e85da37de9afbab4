"""Read-only connections to billig: SQLite in development, PostgreSQL in production.

Read-only by construction, twice over: SQLite is opened with ``mode=ro`` and
``PRAGMA query_only``; PostgreSQL sessions start with
``default_transaction_read_only`` and every read runs in a transaction begun with
``SET TRANSACTION ... READ ONLY``. Both count the statements they really execute
(SQLite's trace callback, a psycopg cursor subclass), so a test can prove that a
prefetch costs the same number of statements for 1 or 1,000 events.

Queries are templates naming tables as ``{event_table}``, ``{ticket_group}``, ... and
the id list as ``{ids}``: a single bound parameter (a JSON array for SQLite, a
bigint[] for PostgreSQL), so a statement's text never depends on how many ids it gets.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from pipelines.core.exceptions import TerminalError, TransientError

Row = dict[str, Any]
SQLITE_IDS = "(SELECT value FROM json_each(?))"
POSTGRES_IDS = "(SELECT unnest(%s::bigint[]))"
POSTGRES_READ_ONLY_SESSION = "-c default_transaction_read_only=on"
POSTGRES_BEGIN_READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


class BilligConnection(ABC):
    """One read-only connection; ``read_only()`` spans one consistent snapshot."""

    def __init__(self, tables: Mapping[str, str]) -> None:
        self.tables = dict(tables)  # template name → billig table name, e.g. event_table → "billig.event"
        self._in_transaction = False

    @property
    @abstractmethod
    def statements(self) -> int:
        """Statements executed on this connection so far."""

    @contextmanager
    def read_only(self) -> Iterator[None]:
        """One read-only transaction; nested uses join the outer one (one snapshot)."""
        if self._in_transaction:
            yield
            return
        with self._transaction():
            self._in_transaction = True
            try:
                yield
            finally:
                self._in_transaction = False

    def fetch(self, template: str, ids: Sequence[int] | None = None) -> list[Row]:
        """Run a query template, with the ids as its one parameter if it has ``{ids}``."""
        with self.read_only():
            try:
                return self._fetch(template, ids)
            except psycopg.errors.UndefinedTable as exc:
                raise _missing_table(exc) from exc
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):
                    raise
                raise _missing_table(exc) from exc

    @abstractmethod
    def _fetch(self, template: str, ids: Sequence[int] | None) -> list[Row]: ...

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]: ...

    @abstractmethod
    def close(self) -> None: ...


class SqliteConnection(BilligConnection):
    """The development mirror, a SQLite file opened read-only."""

    def __init__(self, path: Path, tables: Mapping[str, str]) -> None:
        super().__init__(tables)
        if not path.is_file():
            raise TerminalError(f"no billig database at {path}: run `strata billig seed` or set BILLIG_URL")
        self._conn = sqlite3.connect(
            f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, isolation_level=None
        )  # transactions are ours, explicit
        self._conn.row_factory = sqlite3.Row
        self._count = 0
        self._conn.set_trace_callback(self._traced)
        self._conn.execute("PRAGMA query_only = ON")
        self._rendered: dict[str, str] = {}

    def _traced(self, statement: str) -> None:
        self._count += 1

    @property
    def statements(self) -> int:
        return self._count

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")  # nothing to keep or undo: it only ends the snapshot

    def _fetch(self, template: str, ids: Sequence[int] | None) -> list[Row]:
        if template not in self._rendered:
            names = {key: '"' + table.replace('"', '""') + '"' for key, table in self.tables.items()}
            self._rendered[template] = template.format(ids=SQLITE_IDS, **names)
        params = () if ids is None else (json.dumps(list(ids)),)
        return [dict(row) for row in self._conn.execute(self._rendered[template], params)]

    def close(self) -> None:
        self._conn.close()


class _CountingCursor(psycopg.Cursor[Any]):
    """Counts every statement sent through a cursor of its connection."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> _CountingCursor:
        cast(_CountingConnection, self.connection).statement_count += 1
        return super().execute(query, params, prepare=prepare, binary=binary)


class _CountingConnection(psycopg.Connection[Any]):
    statement_count: int = 0


class PostgresConnection(BilligConnection):
    """Production billig, a PostgreSQL session that cannot write."""

    def __init__(self, url: str, tables: Mapping[str, str]) -> None:
        super().__init__(tables)
        params = conninfo_to_dict(url)
        params["options"] = f"{params.get('options') or ''} {POSTGRES_READ_ONLY_SESSION}".strip()
        params.setdefault("application_name", "strata-billig-reader")
        try:
            self._conn = _CountingConnection.connect(
                make_conninfo("", **params), row_factory=dict_row, cursor_factory=_CountingCursor
            )
        except psycopg.OperationalError as exc:
            raise TransientError(f"cannot reach billig: {exc}") from exc
        self._rendered: dict[str, sql.Composed] = {}

    @property
    def statements(self) -> int:
        return self._conn.statement_count

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._conn.transaction():
            self._conn.execute(POSTGRES_BEGIN_READ_ONLY)
            yield

    def _fetch(self, template: str, ids: Sequence[int] | None) -> list[Row]:
        if template not in self._rendered:
            names = {key: sql.Identifier(table) for key, table in self.tables.items()}
            self._rendered[template] = sql.SQL(template).format(ids=sql.SQL(POSTGRES_IDS), **names)
        params = None if ids is None else (list(ids),)
        cursor = self._conn.execute(self._rendered[template], params)
        return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        self._conn.close()


def _missing_table(exc: Exception) -> TerminalError:
    return TerminalError(
        f"billig lacks a table the query needs ({str(exc).strip()}): is the event table "
        "(billig.event or billig.event_lim_web) configured for this billig's generation?"
    )


def open_connection(url: str, tables: Mapping[str, str]) -> BilligConnection:
    """PostgreSQL for ``postgresql://`` / ``postgres://`` URLs; SQLite for ``sqlite:///path``
    or a plain path."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresConnection(url, tables)
    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    return SqliteConnection(Path(path), tables)
