"""passport_overview stays true after analysts' edits, and only its refresher writes it.

On a loaded sample: every kind of manual write to a source leaves no drift, in the same
transaction and for other sessions after the commit; direct writes to the read models are
refused; a layer load refreshes its passports once (the triggers leave them to the loader)
and still follows a maintenance record moved away from a passport the layer does not hold.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.core import locks
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.read_models.passport_overview import passport_overview_drift, refresh_passport_overview
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.intake_helpers import export_doc, report, write_json
from tests.support.live_states import register_export, validate_and_load
from tests.support.read_model_support import REFERENCE, one

OVERVIEW = "SELECT * FROM passport_overview ORDER BY canonical_pk"
EDITS = [
    "UPDATE passport SET name = name || ' (checked)' WHERE id % 3 = 0",  # many rows, one statement
    "UPDATE passport SET category_id = (SELECT max(id) FROM category) WHERE id = (SELECT min(id) FROM passport)",
    "UPDATE passport SET inspector_id = NULL WHERE inspector_id IS NOT NULL AND id % 2 = 0",
    "UPDATE maintenance SET cost = coalesce(cost, 0) + 100 WHERE id % 4 = 0",
    "UPDATE maintenance SET date = '2030-01-01' WHERE id = (SELECT max(id) FROM maintenance)",
    "UPDATE maintenance SET passport_id = (SELECT max(id) FROM passport) WHERE id = (SELECT min(id) FROM maintenance)",
    "INSERT INTO maintenance (passport_id, date, repair_type_id, cost) "
    "SELECT id, '2026-06-01', (SELECT min(id) FROM repair_type), 7 FROM passport WHERE id % 5 = 0",
    "DELETE FROM maintenance WHERE id = (SELECT max(id) FROM maintenance WHERE ext_id IS NOT NULL)",
    "DELETE FROM sign WHERE id % 3 = 0",
    "INSERT INTO sign (passport_id, sign_code_id) SELECT id, (SELECT min(id) FROM sign_code) FROM passport",
    "UPDATE sign SET passport_id = (SELECT min(id) FROM passport) WHERE id = (SELECT max(id) FROM sign)",
    "UPDATE category SET name = name || ' (renamed)'",
    "UPDATE profile SET last_name = upper(last_name) WHERE id IN (SELECT inspector_id FROM passport)",
    "INSERT INTO passport (name) VALUES ('Added by hand')",
    "DELETE FROM passport WHERE id = (SELECT max(id) FROM passport p WHERE NOT EXISTS "
    "(SELECT FROM passport c WHERE c.parent_id = p.id))",
]


def test_the_overview_is_true_right_after_each_analysts_edit(
    conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    write_sample(tmp_path / "s", seed=6, passports=90, layers=2)
    seed(conn, tmp_path / "s" / "reference")
    for version in register_export(conn, tmp_path / "s" / "export.json", tmp_path / "h"):
        validate_and_load(conn, version)
    assert passport_overview_drift(conn) == []
    with psycopg.connect(db_url) as other:
        for edit in EDITS:
            before = conn.execute(OVERVIEW).fetchall()
            conn.execute(edit)
            assert passport_overview_drift(conn) == [], edit  # in the editing transaction itself
            assert other.execute(OVERVIEW).fetchall() == before, edit  # others: the committed state
            other.rollback()
            conn.commit()
            assert conn.execute(OVERVIEW).fetchall() != before, edit
            assert passport_overview_drift(other) == [], edit
            other.rollback()
        conn.execute("UPDATE passport SET name = 'gone'")
        conn.rollback()  # a rolled-back edit takes its refresh with it
        assert conn.execute(OVERVIEW).fetchall() == other.execute(OVERVIEW).fetchall()
        assert one(conn, "SELECT count(*) FROM passport_overview WHERE name = 'gone'") == 0


@pytest.mark.parametrize("table", ["passport_overview", "event_sales"])
def test_direct_writes_to_a_read_model_are_refused(conn: psycopg.Connection, table: str) -> None:
    conn.execute(REFERENCE)
    conn.execute("INSERT INTO passport (ext_id, name) VALUES ('p1', 'Bridge')")  # its overview row exists
    conn.commit()
    for statement in (
        f"UPDATE {table} SET canonical_pk = canonical_pk",
        f"DELETE FROM {table}",
        f"TRUNCATE {table}",
        f"INSERT INTO {table} SELECT * FROM {table}",
        f"SELECT set_config('strata.read_model_writer', 'some_other_table', true); DELETE FROM {table}",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            conn.execute(statement)
        assert f"{table} is a read model: only its refresher writes it" in str(refused.value)
        assert refused.value.diag.message_hint and "refresh" in refused.value.diag.message_hint
        conn.rollback()
    refresh_passport_overview(
        conn, [one(conn, "SELECT id FROM passport")]
    )  # the refresher opens it for itself ...
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # ... only while it writes
        conn.execute(f"DELETE FROM {table}")
    conn.rollback()
    assert one(conn, "SELECT count(*) FROM passport_overview") == 1


def test_the_sql_refresher_takes_the_lock_the_python_code_names(
    conn: psycopg.Connection, db_url: str
) -> None:
    conn.execute(REFERENCE)
    conn.execute("INSERT INTO passport (ext_id, name) VALUES ('p1', 'Bridge')")  # refreshed by its trigger
    with psycopg.connect(db_url, autocommit=True) as other:
        assert one(other, "SELECT pg_try_advisory_xact_lock(%s)", (locks.PASSPORT_OVERVIEW,)) is False
        conn.commit()
        assert one(other, "SELECT pg_try_advisory_xact_lock(%s)", (locks.PASSPORT_OVERVIEW,)) is True


def test_a_load_refreshes_the_layers_passports_itself_and_follows_a_moved_child(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    conn.execute(REFERENCE)
    conn.commit()
    work = {"id": "M-1", "date": "2026-01-10", "repair_type": "paint", "cost": "50.00"}
    doc = export_doc(
        {
            "2026-01": [report("P-A") | {"maintenance": [work]}, report("P-B"), report("P-C")],
            "2026-02": [report("P-B") | {"maintenance": [work | {"cost": "70.00"}]}, report("P-D")],
        }
    )
    versions = register_export(conn, write_json(tmp_path / "export.json", doc), tmp_path / "h")
    seen: list[dict[str, int]] = []

    def before_the_loaders_refresh(c: psycopg.Connection, r: LoadResult) -> None:
        seen.append(dict(c.execute("SELECT ext_id, maintenance_count FROM passport_overview").fetchall()))
        refresh_passport_overview(c, r.touched_passports)

    for version in versions:
        assert validate_registered(conn, registered_layer(conn, version)).valid
        conn.commit()
        load_layer(conn, version, after_load=before_the_loaders_refresh)
        assert passport_overview_drift(conn) == [], version
    # Inside each load, before the loader's own refresh: the triggers wrote none of the layer's
    # passports (P-B still shows 0), only P-A, which M-1 left and which 2026-02 does not hold.
    assert seen == [{}, {"P-A": 0, "P-B": 0, "P-C": 0}]
    counts: dict[str, int] = dict(
        conn.execute("SELECT ext_id, maintenance_count FROM passport_overview").fetchall()
    )
    assert counts == {"P-A": 0, "P-B": 1, "P-C": 0, "P-D": 0}
