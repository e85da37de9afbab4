"""What is in the database, in a few lines (for `make run` and `strata status`)."""

from __future__ import annotations

import psycopg
from psycopg import sql

SUMMARY_TABLES: tuple[str, ...] = (
    "profile",
    "category",
    "category_mapping",
    "repair_type",
    "repair_type_mapping",
    "sign_code",
    "sign_code_mapping",
    "measure_unit",
    "measure_unit_mapping",
    "passport",
    "maintenance",
    "maintenance_crew",
    "measurement",
    "sign",
    "passport_history",
    "loader_file",
    "loader_report",
    "loader_error",
    "loader_overwrite",
    "event",
    "event_sales",
    "passport_overview",
)


def table_counts(conn: psycopg.Connection, tables: tuple[str, ...] = SUMMARY_TABLES) -> dict[str, int]:
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {name}, count(*) FROM {table}").format(name=sql.Literal(t), table=sql.Identifier(t))
        for t in tables
    )
    return dict(conn.execute(query).fetchall())


def format_counts(counts: dict[str, int]) -> str:
    width = max(map(len, counts))
    return "\n".join(f"  {name:<{width}}  {count:>10,}" for name, count in counts.items())
