"""What every read model shares: applying expected rows, and finding drift.

A read model is a table keyed by ``canonical_pk`` whose rows should equal an
"expected" relation computed from the canonical sources (a SQL function over our
tables, or a staging table filled from billig). ``apply`` makes the table equal to it
in one set-based statement: rows missing are inserted, rows that differ updated,
rows whose source is gone deleted, unchanged rows left alone (their ``synced_at``
keeps meaning "last changed"). A ``scope`` of canonical keys limits all three to
those keys, which is what an incremental refresh is. ``drift`` compares without
writing. Writers of one model are serialized by a transaction-level advisory lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal

import psycopg
from psycopg import sql

from pipelines.core import locks

APPLY: Final = """
WITH expected AS MATERIALIZED ({expected}),
removed AS (
    DELETE FROM {table} AS stored
    WHERE (%(scope)s::bigint[] IS NULL OR stored.canonical_pk = ANY (%(scope)s::bigint[]))
      AND NOT EXISTS (SELECT FROM expected WHERE expected.canonical_pk = stored.canonical_pk)
    RETURNING 1),
written AS (
    INSERT INTO {table} AS stored (canonical_pk, {columns})
    SELECT canonical_pk, {columns} FROM expected
    WHERE %(scope)s::bigint[] IS NULL OR canonical_pk = ANY (%(scope)s::bigint[])
    ON CONFLICT (canonical_pk) DO UPDATE SET ({columns}, synced_at) = ROW({excluded}, now())
    WHERE ({stored}) IS DISTINCT FROM ({excluded})
    RETURNING (xmax = 0) AS inserted)
SELECT (SELECT count(*) FROM removed),
       count(*) FILTER (WHERE inserted),
       count(*) FILTER (WHERE NOT inserted)
FROM written"""

DRIFT: Final = """
WITH expected AS MATERIALIZED ({expected})
SELECT coalesce(expected.canonical_pk, stored.canonical_pk) AS canonical_pk,
       CASE WHEN stored.canonical_pk IS NULL THEN 'missing'
            WHEN expected.canonical_pk IS NULL THEN 'unexpected'
            ELSE 'differs' END AS kind,
       CASE WHEN stored.canonical_pk IS NOT NULL THEN jsonb_build_object({stored_json}) END,
       CASE WHEN expected.canonical_pk IS NOT NULL THEN jsonb_build_object({expected_json}) END
FROM expected
FULL JOIN {table} AS stored ON stored.canonical_pk = expected.canonical_pk
WHERE expected.canonical_pk IS NULL OR stored.canonical_pk IS NULL
   OR ({stored}) IS DISTINCT FROM ({expected_columns})
ORDER BY 1"""

COUNT: Final = "SELECT count(*) FROM {table}"
WRITER: Final = "SELECT set_config('strata.read_model_writer', %s, true)"
PREVIEW: Final = "SELECT canonical_pk, {columns} FROM {table} ORDER BY canonical_pk LIMIT %s"


@dataclass(frozen=True)
class ReadModel:
    """A read-model table: its compared columns (besides canonical_pk, which keys
    it) and the advisory-lock key that serializes its writers."""

    table: str
    columns: tuple[str, ...]
    lock_key: int


@dataclass(frozen=True)
class SyncResult:
    """Rows one apply wrote; all zero when the table already matched its sources."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


@dataclass(frozen=True)
class Drift:
    """One row that differs from what its source says: ``missing`` (no stored row),
    ``unexpected`` (stored, but the source has none) or ``differs`` (in ``columns``)."""

    canonical_pk: int
    kind: Literal["missing", "unexpected", "differs"]
    columns: tuple[str, ...]
    stored: dict[str, Any] | None
    expected: dict[str, Any] | None


@contextmanager
def locked(conn: psycopg.Connection, model: ReadModel) -> Iterator[None]:
    """A transaction (a savepoint inside the caller's) holding the model's advisory
    lock until the outermost transaction ends, so refreshes never interleave.

    Inside it the model's table may be written: a trigger (migration 0016) refuses
    writes to a read model unless ``strata.read_model_writer`` names it, which is set
    here, transaction-locally, and cleared again on the way out."""
    with conn.transaction():
        conn.execute(locks.XACT_LOCK, (model.lock_key,))
        conn.execute(WRITER, (model.table,))
        yield
        conn.execute(WRITER, ("",))


def apply(
    conn: psycopg.Connection,
    model: ReadModel,
    expected: sql.Composable,
    params: dict[str, Any],
    scope: Sequence[int] | None = None,
) -> SyncResult:
    """Make the table equal ``expected`` (within ``scope`` when given). Call inside `locked`."""
    query = sql.SQL(APPLY).format(expected=expected, **_names(model))
    row = conn.execute(query, {**params, "scope": None if scope is None else list(scope)}).fetchone()
    assert row is not None
    deleted, inserted, updated = row
    return SyncResult(inserted=inserted, updated=updated, deleted=deleted)


def drift(
    conn: psycopg.Connection, model: ReadModel, expected: sql.Composable, params: dict[str, Any]
) -> list[Drift]:
    """Every row where the table and ``expected`` disagree, in key order."""
    query = sql.SQL(DRIFT).format(expected=expected, **_names(model))
    found = []
    for pk, kind, stored, wanted in conn.execute(query, params):
        columns = tuple(
            c
            for c in model.columns
            if stored is not None and wanted is not None and stored.get(c) != wanted.get(c)
        )
        found.append(Drift(canonical_pk=pk, kind=kind, columns=columns, stored=stored, expected=wanted))
    return found


def row_count(conn: psycopg.Connection, model: ReadModel) -> int:
    row = conn.execute(sql.SQL(COUNT).format(table=sql.Identifier(model.table))).fetchone()
    return int(row[0]) if row else 0


def preview(conn: psycopg.Connection, model: ReadModel, limit: int = 10) -> list[tuple[Any, ...]]:
    """The first rows, by key, with canonical_pk first and then ``model.columns``."""
    query = sql.SQL(PREVIEW).format(table=sql.Identifier(model.table), columns=_names(model)["columns"])
    return conn.execute(query, (limit,)).fetchall()


def _names(model: ReadModel) -> dict[str, sql.Composable]:
    """The identifiers the statements above need, all quoted by psycopg."""
    return {
        "table": sql.Identifier(model.table),
        "columns": sql.SQL(", ").join(map(sql.Identifier, model.columns)),
        "excluded": _qualified("excluded", model.columns),
        "stored": _qualified("stored", model.columns),
        "expected_columns": _qualified("expected", model.columns),
        "stored_json": _json_pairs("stored", model.columns),
        "expected_json": _json_pairs("expected", model.columns),
    }


def _qualified(alias: str, columns: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(alias, c) for c in columns)


def _json_pairs(alias: str, columns: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(c), sql.Identifier(alias, c)) for c in columns
    )
