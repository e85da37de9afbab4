"""passport_overview: one row per passport with what analysts look up most.

Category name, inspector name, maintenance count, last maintenance date, total
cost and sign count, computed by the SQL function ``passport_overview_rows``
(migration 0011), which the incremental refresh, the full rebuild and the drift
check all read, so the three cannot disagree.

One refresher writes the table: the SQL function ``passport_overview_refresh(scope)``
(migration 0016), which holds the model's advisory lock; `refresh_passport_overview`
and `rebuild_passport_overview` call it. Every other write to the table is refused by
a trigger. Manual writes to the sources (passport, maintenance, sign, category,
profile) refresh the rows they affect in the same transaction, by statement-level
triggers; during a layer load the loader calls `refresh_passport_overview` once instead,
with the passports whose rows or maintenance records and signs the layer wrote
(``load/touched_passports.sql``; the triggers then only follow a child moved away
from its passport). The drift check remains for what no
trigger sees (a restore, a superuser bypassing the guard).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import psycopg
from psycopg import sql

from pipelines.core import locks
from pipelines.db.sql_text import read_sql
from pipelines.read_models.sync import Drift, ReadModel, SyncResult, drift

PASSPORT_OVERVIEW: Final = ReadModel(
    table="passport_overview",
    columns=(
        "canonical_source",
        "ext_id",
        "name",
        "category_name",
        "inspector_name",
        "maintenance_count",
        "last_maintenance",
        "total_cost",
        "sign_count",
    ),
    lock_key=locks.PASSPORT_OVERVIEW,
)
EXPECTED: Final = sql.SQL("SELECT * FROM passport_overview_rows(%(scope)s::bigint[])")


def refresh_passport_overview(conn: psycopg.Connection, passport_ids: Iterable[int]) -> SyncResult:
    """Re-create the rows of these passports from the sources, in one statement.

    Set-based whatever the number of ids; a deleted passport's row is removed.
    Runs in the caller's transaction when there is one (as a savepoint) and holds
    the read model's advisory lock until that transaction ends.
    """
    scope = sorted({int(i) for i in passport_ids})
    if not scope:
        return SyncResult()
    return _refresh(conn, scope)


def rebuild_passport_overview(conn: psycopg.Connection) -> SyncResult:
    """Make every row equal the sources: the same statement with no scope."""
    return _refresh(conn, None)


def _refresh(conn: psycopg.Connection, scope: list[int] | None) -> SyncResult:
    with conn.transaction():
        row = conn.execute(read_sql("read_models/refresh_passport_overview"), (scope,)).fetchone()
    assert row is not None
    inserted, updated, deleted = row
    return SyncResult(inserted=inserted, updated=updated, deleted=deleted)


def passport_overview_drift(conn: psycopg.Connection) -> list[Drift]:
    """Rows that differ from what the sources say now; empty when in sync."""
    return drift(conn, PASSPORT_OVERVIEW, EXPECTED, {"scope": None})
