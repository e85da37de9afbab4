"""Read models on a real PostgreSQL: incremental refresh equals a full rebuild, drift is
found row by row and healed by a rebuild, refreshes are serialized.

Passports, maintenance and signs are written with SQL, so each test holds exactly the rows it
needs; test_after_loads.py checks the same refresh after real layer loads.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.billig.layout import BilligConfig
from pipelines.billig.mirror import MirrorData, generate
from pipelines.billig.our_events import link_our_events
from pipelines.billig.reader import open_reader
from pipelines.db.connection import one_row
from pipelines.read_models.event_sales import event_sales_drift, rebuild_event_sales
from pipelines.read_models.passport_overview import (
    PASSPORT_OVERVIEW,
    passport_overview_drift,
    rebuild_passport_overview,
    refresh_passport_overview,
)
from pipelines.read_models.sync import locked
from tests.support.billig_support import postgres_billig, sqlite_billig
from tests.support.read_model_support import REFERENCE, maintenance, one, passport, sign, tamper

SNAPSHOT = """SELECT canonical_source, canonical_pk, ext_id, name, category_name, inspector_name,
                     maintenance_count, last_maintenance, total_cost, sign_count
              FROM passport_overview ORDER BY canonical_pk"""


def assert_incremental_equals_full_rebuild(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    incremental = conn.execute(SNAPSHOT).fetchall()
    with conn.transaction(force_rollback=True):
        tamper(conn, "passport_overview", "DELETE FROM passport_overview")
        rebuilt = rebuild_passport_overview(conn)
        assert rebuilt.inserted == len(incremental)
        assert conn.execute(SNAPSHOT).fetchall() == incremental
    assert passport_overview_drift(conn) == []
    return incremental


def test_every_write_to_a_source_keeps_the_overview_equal_to_a_full_rebuild(conn: psycopg.Connection) -> None:
    conn.execute(REFERENCE)
    p1, p2, p3 = (
        passport(conn, "p1", "bridge", 1),
        passport(conn, "p2", "tunnel", None),
        passport(conn, "p3", None, 2),
    )
    assert len(assert_incremental_equals_full_rebuild(conn)) == 3  # the inserts refreshed their rows

    m1 = maintenance(conn, p1, "2025-01-05", "100.50")
    maintenance(conn, p1, "2025-03-01", None)
    maintenance(conn, p2, "2024-12-31", "20")
    s1, _, s3 = sign(conn, p1), sign(conn, p1), sign(conn, p3)
    rows = {row[1]: row for row in assert_incremental_equals_full_rebuild(conn)}
    assert rows[p1][4:] == ("Bridge", "Ivanov Ivan Ivanovich", 2, date(2025, 3, 1), Decimal("100.50"), 2)
    assert rows[p3][4:] == (None, "Petrova Anna", 0, None, 0, 1)

    for edit in (
        ("UPDATE maintenance SET cost = 10 WHERE id = %s", (m1,)),
        ("DELETE FROM sign WHERE id = %s", (s1,)),
        ("UPDATE sign SET passport_id = %s WHERE id = %s", (p2, s3)),  # p3 loses it, p2 gains it
        ("UPDATE passport SET inspector_id = 2 WHERE id = %s", (p2,)),
        ("UPDATE category SET name = 'Bridges' WHERE code = 'bridge'", None),
        ("UPDATE profile SET first_name = 'Iwan' WHERE id = 1", None),
        ("DELETE FROM passport WHERE id = %s", (p3,)),
    ):
        conn.execute(*edit)
        assert_incremental_equals_full_rebuild(conn)
    rows = {row[1]: row for row in assert_incremental_equals_full_rebuild(conn)}
    assert sorted(rows) == [p1, p2]
    assert rows[p1][4:6] == ("Bridges", "Ivanov Iwan Ivanovich") and rows[p1][8] == Decimal("10.00")
    assert rows[p2][5] == "Petrova Anna" and rows[p2][9] == 1


def test_a_scoped_refresh_writes_only_its_rows_and_only_when_they_differ(conn: psycopg.Connection) -> None:
    conn.execute(REFERENCE)
    p1, p2, p3 = (passport(conn, f"p{n}", "bridge", 1) for n in (1, 2, 3))
    for pk in (p1, p3):
        tamper(
            conn,
            "passport_overview",
            "UPDATE passport_overview SET name = 'x' WHERE canonical_pk = %s",
            (pk,),
        )
    assert refresh_passport_overview(conn, [p1, p2]).updated == 1
    assert one(conn, "SELECT name FROM passport_overview WHERE canonical_pk = %s", (p3,)) == "x"
    assert refresh_passport_overview(conn, {p3}).updated == 1
    assert_incremental_equals_full_rebuild(conn)
    tamper(conn, "passport_overview", "DELETE FROM passport_overview WHERE canonical_pk = %s", (p2,))
    result = refresh_passport_overview(conn, [p2, 424242])  # a passport that does not exist: no row
    assert (result.inserted, result.updated, result.deleted) == (1, 0, 0)
    assert refresh_passport_overview(conn, []).changed == 0
    assert refresh_passport_overview(conn, [p1, p2, p3]).changed == 0  # unchanged rows are not rewritten
    assert rebuild_passport_overview(conn).changed == 0


def test_tampered_rows_are_named_by_the_drift_check_and_healed_by_a_rebuild(conn: psycopg.Connection) -> None:
    conn.execute(REFERENCE)
    ids = [passport(conn, f"p{n}", "bridge", 1) for n in range(5)]
    maintenance(conn, ids[0], "2025-01-01", "5")
    assert passport_overview_drift(conn) == []
    tamper(
        conn,
        "passport_overview",
        "UPDATE passport_overview SET sign_count = 7, total_cost = 1 WHERE canonical_pk = %s",
        (ids[0],),
    )
    tamper(conn, "passport_overview", "DELETE FROM passport_overview WHERE canonical_pk = %s", (ids[1],))
    tamper(
        conn,
        "passport_overview",
        "INSERT INTO passport_overview (canonical_pk, name, maintenance_count, total_cost, sign_count) "
        "VALUES (424242, 'ghost', 0, 0, 0)",
    )
    found = {d.canonical_pk: d for d in passport_overview_drift(conn)}
    assert set(found) == {ids[0], ids[1], 424242}
    assert (found[ids[0]].kind, found[ids[0]].columns) == ("differs", ("total_cost", "sign_count"))
    assert found[ids[1]].kind == "missing" and found[ids[1]].stored is None
    assert found[424242].kind == "unexpected" and found[424242].expected is None
    result = rebuild_passport_overview(conn)
    assert (result.inserted, result.updated, result.deleted) == (1, 1, 1)
    assert passport_overview_drift(conn) == []


def test_refreshes_are_serialized_by_an_advisory_lock(conn: psycopg.Connection, db_url: str) -> None:
    conn.execute(REFERENCE)
    p1 = passport(conn, "p1", "bridge", 1)
    tamper(conn, "passport_overview", "DELETE FROM passport_overview")  # so a refresh has work to do
    conn.commit()
    with psycopg.connect(db_url) as other:
        other.execute("SET lock_timeout = '200ms'")
        other.commit()
        with locked(conn, PASSPORT_OVERVIEW):
            with pytest.raises(psycopg.errors.LockNotAvailable):
                refresh_passport_overview(other, [p1])
            other.rollback()
        assert refresh_passport_overview(other, [p1]).inserted == 1


def test_a_refresh_inside_the_callers_transaction_rolls_back_with_it(conn: psycopg.Connection) -> None:
    conn.execute(REFERENCE)
    p1 = passport(conn, "p1", "bridge", 1)
    tamper(conn, "passport_overview", "DELETE FROM passport_overview")
    conn.commit()
    with conn.transaction(force_rollback=True):  # the loader's layer transaction, failing
        assert refresh_passport_overview(conn, [p1]).inserted == 1
    assert one(conn, "SELECT count(*) FROM passport_overview") == 0
    with conn.transaction(force_rollback=True):  # an analyst's edit, rolled back: its refresh too
        conn.execute("UPDATE passport SET name = 'renamed' WHERE id = %s", (p1,))
        assert one(conn, "SELECT name FROM passport_overview WHERE canonical_pk = %s", (p1,)) == "renamed"
    assert one(conn, "SELECT count(*) FROM passport_overview") == 0


# ---- event_sales -------------------------------------------------------------------


@pytest.fixture
def billig(tmp_path: Path, conn: psycopg.Connection) -> tuple[MirrorData, str]:
    data = generate("new", events=30, seed=11)
    link_our_events(conn, data.our_events)
    return data, sqlite_billig(tmp_path, data)


def test_event_sales_rebuild_reads_billig_in_batches_and_matches_it(
    conn: psycopg.Connection, billig: tuple[MirrorData, str]
) -> None:
    data, url = billig
    linked = [e.billig_id for e in data.our_events if e.billig_id is not None]
    with open_reader(BilligConfig(url=url, layout=data.layout)) as reader:
        synced = rebuild_event_sales(conn, reader)
        assert event_sales_drift(conn, reader) == []
    known = {row[0] for row in data.rows["billig.event_lim_web"]}
    assert synced.result.inserted == len(known & set(linked)) == len(linked) - 1
    assert synced.expected.missing_billig_ids == sorted(set(linked) - known)
    assert synced.expected.billig_statements == 2 + 3 + 2  # BEGIN/COMMIT, three prefetch levels, two figures
    sold, capacity, groups = one_row(
        conn, "SELECT sum(sold), sum(capacity), sum(jsonb_array_length(ticket_groups)) FROM event_sales"
    )
    tg = [row for row in data.rows["billig.ticket_group"] if row[1] in set(linked)]
    assert (sold, capacity, groups) == (sum(r[4] for r in tg), sum(r[5] for r in tg), len(tg))
    assert (
        one(
            conn,
            "SELECT count(*) FROM event_sales s JOIN event e ON e.id = s.event_id "
            "AND e.billig_id = s.canonical_pk",
        )
        == synced.result.inserted
    )
    assert one(conn, "SELECT count(*) FROM event_sales WHERE ticket_groups::text ~ '\"num(_sold)?\"'") == 0


def test_event_sales_drift_after_tampering_or_billig_changes_and_the_rebuild_heals_it(
    conn: psycopg.Connection, billig: tuple[MirrorData, str]
) -> None:
    data, url = billig
    with open_reader(BilligConfig(url=url, layout=data.layout)) as reader:
        rebuild_event_sales(conn, reader)
    first, second, third, fourth = [
        row[0] for row in conn.execute("SELECT canonical_pk FROM event_sales ORDER BY canonical_pk LIMIT 4")
    ]
    tamper(conn, "event_sales", "UPDATE event_sales SET sold = sold + 1 WHERE canonical_pk = %s", (first,))
    tamper(conn, "event_sales", "DELETE FROM event_sales WHERE canonical_pk = %s", (second,))
    conn.execute(
        "UPDATE event SET billig_id = NULL WHERE billig_id = %s", (third,)
    )  # unlinked: its row is stale
    with sqlite3.connect(url.removeprefix("sqlite://")) as writable:  # billig changes under us
        writable.execute(
            "UPDATE \"billig.event_lim_web\" SET event_name = 'Renamed' WHERE event = ?", (fourth,)
        )
        writable.execute(
            'UPDATE "billig.price_group" SET price = price + 1 WHERE ticket_group IN '
            '(SELECT ticket_group FROM "billig.ticket_group" WHERE event = ?)',
            (fourth,),
        )
    writable.close()
    with open_reader(BilligConfig(url=url, layout=data.layout)) as reader:
        drifted = {d.canonical_pk: d for d in event_sales_drift(conn, reader)}
        assert set(drifted) >= {first, second, third, fourth}
        assert (drifted[first].kind, drifted[first].columns) == ("differs", ("sold",))
        assert drifted[second].kind == "missing"
        assert drifted[third].kind == "unexpected"
        assert {"event_name", "ticket_groups"} <= set(drifted[fourth].columns)
        synced = rebuild_event_sales(conn, reader)
        assert (synced.result.inserted, synced.result.deleted) == (1, 1)
        assert event_sales_drift(conn, reader) == []
    assert one(conn, "SELECT event_name FROM event_sales WHERE canonical_pk = %s", (fourth,)) == "Renamed"


def test_event_sales_are_the_same_from_postgres_billig(
    conn: psycopg.Connection, billig: tuple[MirrorData, str], server_url: str
) -> None:
    data, url = billig
    with open_reader(BilligConfig(url=url, layout=data.layout)) as reader:
        rebuild_event_sales(conn, reader)
    with (
        postgres_billig(server_url, data) as pg_url,
        open_reader(BilligConfig(url=pg_url, layout=data.layout)) as pg,
    ):
        assert event_sales_drift(conn, pg) == []


def test_event_sales_from_the_old_generation_have_no_ticket_figures(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    data = generate("old", events=10, seed=2)
    link_our_events(conn, data.our_events)
    with open_reader(BilligConfig(url=sqlite_billig(tmp_path, data), layout=data.layout)) as reader:
        assert rebuild_event_sales(conn, reader).result.inserted > 0
    assert conn.execute(
        "SELECT DISTINCT canonical_source, refunded, revenue FROM event_sales"
    ).fetchall() == [("billig.event", None, None)]
