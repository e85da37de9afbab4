"""Versioned schema migrations: ordered SQL files in sql/migrations and a version table.

Why not Alembic: Strata's schema is SQL first (PL/pgSQL triggers, generated
history tables, functions analysts call). Alembic would wrap each file in Python
and its autogenerate cannot see triggers, so it would add a layer without
adding safety. This runner applies each file once, in order, in its own
transaction, under an advisory lock (two processes starting at once are safe),
and refuses to run when an applied file was edited afterwards.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pipelines.core import locks
from pipelines.core.exceptions import TerminalError
from pipelines.db.sql_text import SQL_DIR, read_sql

MIGRATIONS_DIR = SQL_DIR / "migrations"
FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise TerminalError(f"{path}: migration files are named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise TerminalError(f"{folder}: two migrations share a version number")
    return found


def migrate(conn: psycopg.Connection, folder: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is missing; return the names applied (empty when up to date)."""
    wanted = discover(folder)
    with conn.transaction():
        conn.execute(locks.XACT_LOCK, (locks.MIGRATION,))
        conn.execute(read_sql("db/create_migration_table"))
        done = {
            version: (name, digest)
            for version, name, digest in conn.execute(read_sql("db/applied_migrations"))
        }
        applied = []
        for migration in wanted:
            if migration.version in done:
                if done[migration.version][1] != migration.sha256:
                    raise TerminalError(
                        f"migration {migration.name} was edited after it was applied; "
                        "add a new migration instead"
                    )
                continue
            with conn.transaction():
                conn.execute(migration.sql)
                conn.execute(
                    read_sql("db/record_migration"), (migration.version, migration.name, migration.sha256)
                )
            applied.append(migration.name)
    return applied
