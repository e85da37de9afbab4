"""Writing the canonical sources of passport_overview with plain SQL, as an analyst would: each test
sets up exactly the rows it needs, without an export (tests/read_models/test_after_loads.py uses the loader)."""

from __future__ import annotations

from typing import Any

import psycopg

from pipelines.db.connection import one_row

REFERENCE = """
INSERT INTO profile (id, last_name, first_name, middle_name) VALUES (1, 'Ivanov', 'Ivan', 'Ivanovich'),
                                                                    (2, 'Petrova', 'Anna', NULL);
INSERT INTO category (code, name) VALUES ('bridge', 'Bridge'), ('tunnel', 'Tunnel');
INSERT INTO repair_type (code, name) VALUES ('paint', 'Painting');
INSERT INTO sign_code (code, name) VALUES ('s1', 'Speed limit');
"""


def one(conn: psycopg.Connection, query: str, params: Any = None) -> Any:
    """The one value of a one-row query."""
    return one_row(conn, query, params)[0]


def passport(conn: psycopg.Connection, name: str, category: str | None, inspector: int | None) -> int:
    return one(
        conn,
        "INSERT INTO passport (ext_id, name, category_id, inspector_id) "
        "VALUES (%s, %s, (SELECT id FROM category WHERE code = %s), %s) RETURNING id",
        (f"ext-{name}", name, category, inspector),
    )


def maintenance(conn: psycopg.Connection, passport_id: int, date: str, cost: str | None) -> int:
    return one(
        conn,
        "INSERT INTO maintenance (passport_id, date, repair_type_id, cost) "
        "VALUES (%s, %s, (SELECT id FROM repair_type), %s) RETURNING id",
        (passport_id, date, cost),
    )


def sign(conn: psycopg.Connection, passport_id: int) -> int:
    return one(
        conn,
        "INSERT INTO sign (passport_id, sign_code_id) VALUES (%s, (SELECT id FROM sign_code)) RETURNING id",
        (passport_id,),
    )


def tamper(conn: psycopg.Connection, table: str, statement: str, params: Any = None) -> None:
    """Write a read model behind its refresher's back, as a bug or a superuser could: set the
    writer setting its guard trigger checks (migration 0016), write, clear it again."""
    with conn.transaction():
        conn.execute("SELECT set_config('strata.read_model_writer', %s, true)", (table,))
        conn.execute(statement, params)
        conn.execute("SELECT set_config('strata.read_model_writer', '', true)")
