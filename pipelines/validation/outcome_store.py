"""A layer's validation outcome in the database: its loader_report row and its loader_error rows.

Written in one transaction, replacing the version's earlier errors, so the tables
always show the latest validation whole: never a mix of two runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import psycopg
from psycopg.types.json import Jsonb

from pipelines.contract.analyst_errors import AnalystError, ErrorCode
from pipelines.core.exceptions import TerminalError
from pipelines.db.sql_text import read_sql

COPY_ERRORS: Final = (
    "COPY loader_error (report_id, version, code, entity, ext_id, passport_ext_id, field, "
    "value, message) FROM STDIN"
)


def store_validation(
    conn: psycopg.Connection,
    version: str,
    errors: Sequence[AnalystError],
    reports: int,
    counts: dict[str, int],
) -> int:
    """Upsert the layer's loader_report row, replace its errors; return the row's id."""
    status = "invalid" if errors else "validated"
    with conn.transaction():
        report_id: int = conn.execute(
            read_sql("validation/upsert_report"),
            {
                "version": version,
                "status": status,
                "error_count": len(errors),
                "reports": reports,
                "counts": Jsonb(counts),
            },
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(read_sql("validation/delete_errors"), {"report_id": report_id})
        with conn.cursor().copy(COPY_ERRORS) as copy:
            for e in errors:
                copy.write_row(
                    (
                        report_id,
                        e.version,
                        str(e.code),
                        e.entity,
                        e.ext_id,
                        e.passport_ext_id,
                        e.field,
                        e.value,
                        e.message,
                    )
                )
    return report_id


def errors_for(conn: psycopg.Connection, version: str) -> list[AnalystError]:
    """The stored errors of a layer (for ``strata errors VERSION``); unknown version is a TerminalError."""
    with conn.transaction():
        if conn.execute(read_sql("validation/report_exists"), {"version": version}).fetchone() is None:
            raise TerminalError(f"layer {version} has never been validated")
        rows = conn.execute(read_sql("validation/errors_for"), {"version": version}).fetchall()
    return [
        AnalystError(v, ErrorCode(code), entity, ext_id, passport, field, value, message)
        for v, code, entity, ext_id, passport, field, value, message in rows
    ]
