"""Foreign keys of a layer load checked once per key, set-based, instead of once per row.

Why: PostgreSQL checks a foreign key with an internal trigger per written row (one
query and one row lock on the parent per row and key). On the bench that was about
60 % of a first load (BENCHMARKS.md). A load writes whole staging tables, so it can
check each key with one join instead: the written rows' distinct parent ids are locked
``FOR KEY SHARE`` (what the row-by-row check locks too, so an analyst cannot delete a
parent before the load commits) and counted; fewer locked than referenced means a
parent is missing, and the load fails naming it, rolling back with everything else.

The row-by-row checks are skipped only while the load writes, with
``session_replication_role = replica`` (transaction-local), and only when that skips
nothing else: Strata's history triggers are ENABLE ALWAYS (migration 0013), and
``skipped_triggers.sql`` lists anything replica mode would change. If the role may not
be set (not a superuser, no ``SET`` privilege) or anything would be skipped, the load
writes in origin mode and PostgreSQL checks row by row as before: slower, same result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from pipelines.core.exceptions import TerminalError
from pipelines.db.connection import one_row
from pipelines.db.sql_text import read_sql
from pipelines.load.statements import WrittenRows

# One statement per written table: one pass over its written rows; per key, their distinct parent
# ids, and those parents locked.
WRITTEN = "written AS MATERIALIZED (SELECT {columns} {rows})"
REFERENCED = "{name} AS MATERIALIZED (SELECT DISTINCT {column} AS id FROM written WHERE {column} IS NOT NULL)"
COUNTS = """(SELECT count(*) FROM {name}),
(SELECT count(*) FROM (SELECT 1 FROM {parent} p JOIN {name} r ON p.{parent_column} = r.id FOR KEY SHARE OF p) l)"""
FIRST_MISSING = """
SELECT c.{column} {rows}
WHERE c.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column})
LIMIT 1"""


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: sql.Identifier
    column: str
    parent: sql.Identifier
    parent_column: str
    label: str  # "passport.category_id -> category.id", for people


class MissingParent(TerminalError):
    """A written row refers to a parent that does not exist (deleted after validation?)."""

    def __init__(self, layer: str, key: ForeignKey, value: object) -> None:
        self.layer, self.key, self.value = layer, key, value
        super().__init__(
            f"layer {layer}: {key.label} = {value} refers to a row that does not exist "
            f"(constraint {key.name}; was it deleted after the layer was validated?): "
            "nothing was loaded; validate the layer again"
        )


@dataclass(frozen=True)
class KeyCheckPlan:
    """How one load checks its foreign keys: set-based (``replica``) or by PostgreSQL per row."""

    replica: bool
    checks: tuple[tuple[WrittenRows, tuple[ForeignKey, ...]], ...]
    reason: str  # why origin mode, for the load's metadata; "" in replica mode

    @property
    def description(self) -> str:
        """What the load's metadata says: ``set-based`` or ``row by row (why)``."""
        return "set-based" if self.replica else f"row by row ({self.reason})"


def plan_key_checks(conn: psycopg.Connection, written: tuple[WrittenRows, ...]) -> KeyCheckPlan:
    """Decide inside the load's transaction, before it writes."""
    names = [w.table for w in written]
    keys: dict[str, list[ForeignKey]] = {w.table: [] for w in written}
    for conname, schema, table, column, pschema, parent, pcolumn in conn.execute(
        read_sql("load/foreign_keys"), {"tables": names}
    ):
        keys[table].append(
            ForeignKey(
                conname,
                sql.Identifier(schema, table),
                column,
                sql.Identifier(pschema, parent),
                pcolumn,
                f"{table}.{column} -> {parent}.{pcolumn}",
            )
        )
    checks = tuple((w, tuple(keys[w.table])) for w in written if keys[w.table])
    skipped = conn.execute(
        read_sql("load/skipped_triggers"),
        {"written": names, "deleted": [w.table for w in written if w.deletes]},
    ).fetchall()
    if skipped:
        return KeyCheckPlan(
            False, checks, "replica mode would skip trigger(s) " + ", ".join(f"{t}.{n}" for t, n in skipped)
        )
    if not _may_set_replica(conn):
        return KeyCheckPlan(False, checks, "this role may not set session_replication_role")
    return KeyCheckPlan(True, checks, "")


@contextmanager
def row_checks_skipped(conn: psycopg.Connection, plan: KeyCheckPlan) -> Iterator[None]:
    """Write inside this block; the row-by-row key checks are off only in replica plans."""
    if not plan.replica:
        yield
        return
    conn.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        conn.execute("SET LOCAL session_replication_role = origin")


def check_written(conn: psycopg.Connection, plan: KeyCheckPlan, layer: str) -> int:
    """After the writes of a replica plan: every key of every written row; parents locked.

    Returns how many parent rows were locked; raises ``MissingParent`` for the first gap."""
    if not plan.replica:
        return 0
    locked_total = 0
    for written, keys in plan.checks:
        counts = one_row(conn, _counts_statement(written, keys))
        for n, key in enumerate(keys):
            referenced, locked = counts[2 * n], counts[2 * n + 1]
            locked_total += locked
            if locked < referenced:
                (value,) = one_row(
                    conn,
                    sql.SQL(FIRST_MISSING).format(
                        column=sql.Identifier(key.column),
                        rows=written.rows,
                        parent=key.parent,
                        parent_column=sql.Identifier(key.parent_column),
                    ),
                )
                raise MissingParent(layer, key, value)
    return locked_total


def _counts_statement(written: WrittenRows, keys: tuple[ForeignKey, ...]) -> sql.Composed:
    columns = sorted({k.column for k in keys})
    ctes = [
        sql.SQL(WRITTEN).format(
            columns=sql.SQL(", ").join(sql.Identifier("c", c) for c in columns), rows=written.rows
        )
    ]
    ctes += [
        sql.SQL(REFERENCED).format(name=sql.Identifier(f"k{n}"), column=sql.Identifier(k.column))
        for n, k in enumerate(keys)
    ]
    counts = [
        sql.SQL(COUNTS).format(
            name=sql.Identifier(f"k{n}"), parent=k.parent, parent_column=sql.Identifier(k.parent_column)
        )
        for n, k in enumerate(keys)
    ]
    return sql.SQL("WITH {} SELECT {}").format(sql.SQL(", ").join(ctes), sql.SQL(", ").join(counts))


def _may_set_replica(conn: psycopg.Connection) -> bool:
    """Superusers may; from PostgreSQL 15 a role granted SET on the parameter may too."""
    try:
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute("SET LOCAL session_replication_role = origin")
    except pg_errors.InsufficientPrivilege:
        return False
    return True
