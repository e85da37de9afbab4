"""passport_overview: one row per passport with what analysts look up most.

Category name, inspector name, maintenance count, last maintenance date, total
cost and sign count, computed by the SQL function ``passport_overview_rows``
(migration 0011), which the incremental refresh, the full rebuild and the drift
check all read, so the three cannot disagree.

The loader calls `refresh_passport_overview` with the passports a layer touched
(a passport whose maintenance or signs changed counts as touched). Edits that
touch no passport (renaming a category or a profile) show up in the drift check
and are healed by a full rebuild (materializing the asset).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import psycopg
from psycopg import sql

from pipelines.core import locks
from pipelines.read_models.sync import (
    Drift,
    ReadModel,
    SyncResult,
    apply,
    drift,
    locked,
)

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
    with locked(conn, PASSPORT_OVERVIEW):
        return apply(conn, PASSPORT_OVERVIEW, EXPECTED, {}, scope=scope)


def rebuild_passport_overview(conn: psycopg.Connection) -> SyncResult:
    """Make every row equal the sources: the same statement with no scope."""
    with locked(conn, PASSPORT_OVERVIEW):
        return apply(conn, PASSPORT_OVERVIEW, EXPECTED, {}, scope=None)


def passport_overview_drift(conn: psycopg.Connection) -> list[Drift]:
    """Rows that differ from what the sources say now; empty when in sync."""
    return drift(conn, PASSPORT_OVERVIEW, EXPECTED, {"scope": None})
