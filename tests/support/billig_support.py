"""Stand-ins for billig in tests: the SQLite mirror, and a PostgreSQL "production".

The PostgreSQL stand-in is a database of its own on the embedded test server,
built from the same mirror schema (sql/billig/) and filled with COPY.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg import sql

from pipelines.billig.layout import BilligConfig
from pipelines.billig.mirror import MirrorData, write_sqlite
from pipelines.db.connection import connect
from pipelines.db.urls import with_database


def sqlite_billig(folder: Path, data: MirrorData) -> str:
    path = folder / f"billig-{data.layout.generation}.sqlite3"
    write_sqlite(path, data)
    return f"sqlite://{path}"


@contextmanager
def postgres_billig(server_url: str, data: MirrorData) -> Iterator[str]:
    """A fresh database standing in for production billig; dropped afterwards."""
    name = f"billig_test_{uuid.uuid4().hex[:12]}"
    with connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server_url, name)
    try:
        with connect(url) as conn:
            conn.execute(data.layout.schema_sql())
            for table, rows in data.rows.items():
                copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, data.columns(table)))
                )
                with conn.cursor().copy(copy) as writer:
                    for row in rows:
                        writer.write_row(row)
        yield url
    finally:
        with connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def config(url: str, data: MirrorData, chunk_size: int | None = None) -> BilligConfig:
    if chunk_size is None:
        return BilligConfig(url=url, layout=data.layout)
    return BilligConfig(url=url, layout=data.layout, chunk_size=chunk_size)
