"""Migrations: apply to an empty database, then again with no change; keys are bigint."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pipelines.core.exceptions import TerminalError
from pipelines.db.connection import connect, ensure_database
from pipelines.db.migrations import MIGRATIONS_DIR, migrate
from pipelines.db.urls import with_database

IMPORTED = ("passport", "maintenance", "maintenance_crew", "measurement", "sign")

SCHEMA_SNAPSHOT = """
SELECT 'column', table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
 WHERE table_schema = 'public'
UNION ALL SELECT 'trigger', event_object_table || '.' || trigger_name || ' ' || event_manipulation
  FROM information_schema.triggers WHERE trigger_schema = 'public'
UNION ALL SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT 'function', proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
ORDER BY 1, 2"""

KEY_COLUMNS = """
SELECT c.conrelid::regclass::text AS tbl, a.attname, format_type(a.atttypid, a.atttypmod), c.contype
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'f')"""


@pytest.fixture
def empty_url(server_url: str) -> str:
    url = with_database(server_url, "strata_test_empty")
    with connect(server_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS strata_test_empty WITH (FORCE)")
    ensure_database(url)
    return url


def test_migrations_apply_to_empty_database_then_change_nothing(empty_url: str) -> None:
    with connect(empty_url) as conn:
        first = migrate(conn)
        snapshot = conn.execute(SCHEMA_SNAPSHOT).fetchall()
        second = migrate(conn)
        assert conn.execute(SCHEMA_SNAPSHOT).fetchall() == snapshot
    assert first == sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
    assert second == []
    tables = {name for kind, name in snapshot if kind == "column" for name in [name.split(".")[0]]}
    for table in IMPORTED:
        assert {table, f"{table}_history"} <= tables


def test_an_edited_migration_is_refused(empty_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    with connect(empty_url) as conn:
        migrate(conn, folder)
        first = sorted(folder.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- edited\n")
        with pytest.raises(TerminalError, match="edited after it was applied"):
            migrate(conn, folder)


def test_a_failing_migration_leaves_nothing_behind(empty_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "9999_broken.sql").write_text("CREATE TABLE half_done (id bigint); SELECT 1/0;")
    with connect(empty_url) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            migrate(conn, folder)
        conn.rollback()
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)


def test_no_integer_key_or_foreign_key_column_exists(conn: psycopg.Connection) -> None:
    keys = conn.execute(KEY_COLUMNS).fetchall()
    assert len(keys) > 30  # the query really sees the schema's keys
    narrow = [
        k for k in keys if k[2] != "bigint" and k[1] not in ("sha256", "version", "code", "value", "ext_id")
    ]
    assert narrow == []
    small = conn.execute("""
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type IN ('integer', 'smallint')""").fetchall()
    assert small == []


def test_tracking_a_table_again_keeps_its_triggers_firing_always(conn: psycopg.Connection) -> None:
    """strata_track_history recreates the triggers (after a column is added): ALWAYS, or the load's
    replica mode would skip them (it then falls back to row-by-row key checks)."""
    conn.execute("SELECT strata_track_history('sign')")
    enabled = conn.execute(
        "SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgrelid = 'sign'::regclass AND NOT tgisinternal"
    ).fetchall()
    assert enabled == [("A",)]


@pytest.mark.parametrize("table", IMPORTED)
def test_every_imported_table_has_history_and_triggers(conn: psycopg.Connection, table: str) -> None:
    triggers: dict[str, str] = dict(
        conn.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            (table,),
        ).fetchall()
    )
    # passport_overview's sources also refresh it (0016), and a write that is not the importer's is
    # noted for the load's chain claim (0021); every trigger fires in replica mode too
    follows = {f"{table}_passport_overview_{e}" for e in ("insert", "update", "delete")}
    assert set(triggers) == {
        f"{table}_mark_insert",
        f"{table}_mark_update",
        f"{table}_history_insert",
        f"{table}_history_update",
        f"{table}_history_delete",
        f"{table}_refuse_truncate",
        f"{table}_manual_write",
    } | (follows if table in ("passport", "maintenance", "sign") else set())
    assert set(triggers.values()) == {"A"}
    columns = [
        r[0]
        for r in conn.execute(
            sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(f"{table}_history"))
        ).description
        or []
    ]
    assert columns[:6] == ["history_id", "row_id", "operation", "changed_at", "report_id", "imported"]
