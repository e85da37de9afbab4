"""History triggers and the auto_imported flag, as analysts rely on them."""

from __future__ import annotations

import psycopg
import pytest

from pipelines.db.connection import one_row

IMPORT_LAYER = "INSERT INTO loader_report (version) VALUES (%s) RETURNING id"


def _category(conn: psycopg.Connection) -> int:
    return one_row(conn, "INSERT INTO category (code, name) VALUES ('bridge', 'Bridge') RETURNING id")[0]


def _bulk_passports(conn: psycopg.Connection, count: int) -> None:
    category = _category(conn)
    conn.execute(
        """INSERT INTO passport (ext_id, name, category_id, status)
                    SELECT 'P-' || g, 'Object ' || g, %s, 'active' FROM generate_series(1, %s) g""",
        (category, count),
    )


def _history(conn: psycopg.Connection, operation: str | None = None) -> int:
    if operation is None:
        return one_row(conn, "SELECT count(*) FROM passport_history")[0]
    return one_row(conn, "SELECT count(*) FROM passport_history WHERE operation = %s", (operation,))[0]


def test_bulk_update_writes_one_history_row_per_changed_row(conn: psycopg.Connection) -> None:
    _bulk_passports(conn, 10_000)
    assert _history(conn, "insert") == 10_000
    updated = conn.execute("UPDATE passport SET region = 'North'").rowcount
    assert updated == 10_000
    assert _history(conn, "update") == 10_000
    assert conn.execute(
        "SELECT count(*) FROM passport_history WHERE operation = 'update' AND region = 'North'"
    ).fetchone() == (10_000,)


def test_update_that_changes_nothing_writes_no_history(conn: psycopg.Connection) -> None:
    _bulk_passports(conn, 500)
    before = _history(conn)
    assert conn.execute("UPDATE passport SET name = name, region = region").rowcount == 0
    assert conn.execute("UPDATE passport SET status = 'active' WHERE ext_id = 'P-1'").rowcount == 0
    assert _history(conn) == before


def test_only_the_changed_rows_of_a_mixed_update_are_recorded(conn: psycopg.Connection) -> None:
    _bulk_passports(conn, 100)
    conn.execute("UPDATE passport SET status = CASE WHEN id % 4 = 0 THEN 'retired' ELSE status END")
    assert _history(conn, "update") == 25


def test_import_setting_marks_rows_and_manual_edit_clears_it(conn: psycopg.Connection) -> None:
    category = _category(conn)
    report_id = one_row(conn, IMPORT_LAYER, ("2026-01",))[0]
    conn.commit()
    with conn.transaction():  # a transaction of its own, as the importer's
        conn.execute("SELECT strata_begin_import(%s)", (report_id,))
        conn.execute(
            "INSERT INTO passport (ext_id, name, category_id) VALUES ('P-1', 'Bridge 1', %s)", (category,)
        )
    # the setting was transaction-local: this write is a manual one
    assert conn.execute("SELECT auto_imported, report_id FROM passport").fetchone() == (True, report_id)
    conn.execute("UPDATE passport SET name = 'Bridge 1 (fixed by hand)'")
    assert conn.execute("SELECT auto_imported, report_id FROM passport").fetchone() == (False, report_id)
    rows = conn.execute("""SELECT operation, imported, report_id, name FROM passport_history
                           ORDER BY history_id""").fetchall()
    assert rows == [
        ("insert", True, report_id, "Bridge 1"),
        ("update", False, None, "Bridge 1 (fixed by hand)"),
    ]


def test_a_manual_insert_is_not_marked_imported(conn: psycopg.Connection) -> None:
    category = _category(conn)
    conn.execute(
        "INSERT INTO passport (name, category_id, auto_imported) VALUES ('By hand', %s, true)", (category,)
    )
    assert conn.execute("SELECT auto_imported FROM passport").fetchone() == (False,)


def test_upsert_records_inserts_and_real_updates_only(conn: psycopg.Connection) -> None:
    _bulk_passports(conn, 10)
    conn.execute("""INSERT INTO passport (ext_id, name, category_id, status)
                    SELECT 'P-' || g, CASE WHEN g <= 3 THEN 'Renamed ' || g ELSE 'Object ' || g END,
                           (SELECT id FROM category), 'active'
                    FROM generate_series(1, 12) g
                    ON CONFLICT (ext_id) DO UPDATE SET name = excluded.name""")
    assert _history(conn, "insert") == 12
    assert _history(conn, "update") == 3


def test_delete_is_recorded_and_truncate_refused(conn: psycopg.Connection) -> None:
    _bulk_passports(conn, 20)
    conn.execute("DELETE FROM passport WHERE id <= 5")
    assert _history(conn, "delete") == 5
    with pytest.raises(psycopg.errors.RaiseException, match="bypass its history"):
        conn.execute("TRUNCATE passport CASCADE")


MARK_CALLS = (
    "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = 'strata_mark_write'"
)


def _import_transaction(conn: psycopg.Connection) -> int:
    """A committed report, then (left open) a transaction marked as its import, counting PL/pgSQL calls."""
    report_id = one_row(conn, IMPORT_LAYER, ("2026-01",))[0]
    conn.commit()
    conn.execute("SET LOCAL track_functions = 'pl'")
    conn.execute("SELECT strata_begin_import(%s)", (report_id,))
    return report_id


def test_rows_the_importer_marks_itself_run_no_mark_trigger(conn: psycopg.Connection) -> None:
    category = _category(conn)
    report_id = _import_transaction(conn)
    conn.execute(
        """INSERT INTO passport (ext_id, name, category_id, auto_imported, report_id)
           SELECT 'P-' || g, 'Object ' || g, %s, true, %s FROM generate_series(1, 50) g""",
        (category, report_id),
    )
    conn.execute("UPDATE passport SET name = name || '!', auto_imported = true, report_id = %s", (report_id,))
    assert conn.execute(MARK_CALLS).fetchone() == (50,)  # the update: report_id did not move, trigger fired
    later = one_row(conn, IMPORT_LAYER, ("2026-02",))[0]
    conn.execute("SELECT strata_begin_import(%s)", (later,))
    conn.execute("UPDATE passport SET name = name || '?', auto_imported = true, report_id = %s", (later,))
    assert conn.execute(MARK_CALLS).fetchone() == (50,)  # moved to this import's report: skipped
    assert conn.execute("SELECT DISTINCT auto_imported, report_id FROM passport").fetchall() == [
        (True, later)
    ]
    assert conn.execute(
        "SELECT operation, imported, count(*) FROM passport_history GROUP BY 1, 2 ORDER BY 1"
    ).fetchall() == [("insert", True, 50), ("update", True, 100)]


def test_an_import_write_that_does_not_mark_itself_is_marked_by_the_trigger(conn: psycopg.Connection) -> None:
    category = _category(conn)
    report_id = _import_transaction(conn)
    conn.execute(
        "INSERT INTO passport (ext_id, name, category_id, report_id) VALUES ('P-1', 'x', %s, %s)",
        (category, report_id),
    )  # auto_imported left at its default
    conn.execute(
        "INSERT INTO passport (ext_id, name, category_id, auto_imported, report_id) VALUES ('P-2', 'y', %s, true, 0)",
        (category,),
    )  # another report's id
    assert conn.execute(MARK_CALLS).fetchone() == (2,)
    assert conn.execute("SELECT DISTINCT auto_imported, report_id FROM passport").fetchall() == [
        (True, report_id)
    ]
    assert conn.execute("UPDATE passport SET name = name").rowcount == 0  # no-op still dropped


def test_a_manual_write_claiming_to_be_imported_is_manual(conn: psycopg.Connection) -> None:
    category = _category(conn)
    report_id = one_row(conn, IMPORT_LAYER, ("2026-01",))[0]
    conn.execute("SELECT set_config('strata.report_id', %s, true)", (str(report_id),))  # but not importing
    conn.execute(
        "INSERT INTO passport (ext_id, name, category_id, auto_imported, report_id) VALUES ('P-1', 'x', %s, true, %s)",
        (category, report_id),
    )
    assert conn.execute("SELECT auto_imported, report_id FROM passport").fetchone() == (False, report_id)
    conn.execute("UPDATE passport SET name = 'y', auto_imported = true, report_id = %s", (report_id + 1,))
    assert conn.execute("SELECT auto_imported, report_id FROM passport").fetchone() == (False, report_id)
    assert conn.execute(
        "SELECT operation, imported, report_id FROM passport_history ORDER BY history_id"
    ).fetchall() == [
        ("insert", False, None),
        ("update", False, None),
    ]
