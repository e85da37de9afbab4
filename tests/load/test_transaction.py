"""The load of layers into PostgreSQL: results, order, no-op reloads, manual edits, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.db.counts import table_counts
from pipelines.load.order import LoadRefused
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.mapped_files import LINE_END
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.load_checks import IMPORTED, assert_final_state, load_export


@pytest.fixture
def home(tmp_path: Path) -> StrataHome:
    return StrataHome(tmp_path / "home").ensure()


@pytest.fixture
def sample(tmp_path: Path, conn: psycopg.Connection) -> tuple[Path, dict]:
    expected = write_sample(tmp_path / "sample", seed=5, passports=150, layers=4)
    seed(conn, tmp_path / "sample" / "reference")
    return tmp_path / "sample" / "export.json", expected


def _load(conn: psycopg.Connection, version: str):
    conn.commit()  # the load is a transaction of its own
    return load_layer(conn, version)


def _validate(conn: psycopg.Connection, version: str) -> None:
    assert validate_registered(conn, registered_layer(conn, version)).valid
    conn.commit()


def test_loading_every_layer_gives_the_expected_database(conn, home, sample) -> None:
    export, expected = sample
    results = load_export(conn, export, home)
    assert [r.version for r in results] == [layer["version"] for layer in expected["layers"]]
    assert_final_state(conn, expected)
    first = results[0].tables
    assert first["passport"].created + first["passport"].updated == expected["layers"][0]["reports"]


def test_reloading_the_latest_layer_writes_nothing(conn, home, sample) -> None:
    export, expected = sample
    load_export(conn, export, home)
    before = table_counts(conn, IMPORTED)
    latest = expected["layers"][-1]["version"]
    _validate(conn, latest)
    again = _load(conn, latest)
    assert again.writes == 0 and again.overwrites == 0
    assert table_counts(conn, IMPORTED) == before


def test_a_load_marks_its_rows_without_the_row_trigger(conn, home, sample) -> None:
    """The load's statements set auto_imported and report_id: no PL/pgSQL call per row (0020)."""
    export, expected = sample
    versions = [layer["version"] for layer in expected["layers"]]
    load_export(conn, export, home, through=versions[0])
    _validate(conn, versions[1])
    conn.execute("SET track_functions = 'pl'")
    conn.commit()
    calls: list[int] = []
    counted = "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = %s"
    result = load_layer(
        conn,
        versions[1],
        after_load=lambda c, _: calls.append(one_row(c, counted, ("strata_mark_write",))[0]),
    )
    assert result.tables["passport"].updated > 0 and result.tables["passport"].created > 0
    assert result.tables["maintenance_crew"].created > 0
    assert calls == [0]
    report_id = conn.execute("SELECT id FROM loader_report WHERE version = %s", (versions[1],)).fetchone()[0]
    for table in ("passport", "maintenance", "maintenance_crew", "measurement", "sign"):
        marks = conn.execute(
            sql.SQL("SELECT DISTINCT auto_imported FROM {} WHERE report_id = %s").format(
                sql.Identifier(table)
            ),
            (report_id,),
        ).fetchall()
        assert marks == [(True,)], table
        manual = sql.SQL("SELECT count(*) FROM {} WHERE report_id = %s AND NOT imported")
        history = sql.Identifier(f"{table}_history")
        assert conn.execute(manual.format(history), (report_id,)).fetchone() == (0,)


def test_layers_load_only_in_order(conn, home, sample) -> None:
    export, expected = sample
    versions = [layer["version"] for layer in expected["layers"]]
    load_export(conn, export, home, through=versions[0])
    _validate(conn, versions[2])
    before = table_counts(conn, IMPORTED)
    with pytest.raises(LoadRefused, match=f"before the earlier layers {versions[1]}"):
        _load(conn, versions[2])
    assert table_counts(conn, IMPORTED) == before  # the refused load wrote nothing
    load_export(conn, export, home, through=versions[2])
    in_order = table_counts(conn, IMPORTED)
    _validate(conn, versions[1])
    with pytest.raises(LoadRefused, match=f"older than the loaded layer {versions[2]}"):
        _load(conn, versions[1])
    assert table_counts(conn, IMPORTED) == in_order  # nor did the refused older one
    loaded = [
        v for (v,) in conn.execute("SELECT version FROM loader_report WHERE loaded_at IS NOT NULL ORDER BY 1")
    ]
    assert loaded == versions[:3]


def test_a_failure_anywhere_leaves_the_database_as_it_was(conn, home, sample) -> None:
    export, expected = sample
    versions = [layer["version"] for layer in expected["layers"]]
    load_export(conn, export, home, through=versions[0])
    _validate(conn, versions[1])
    before = table_counts(conn, IMPORTED)
    mapped = Path(
        conn.execute("SELECT mapped_path FROM loader_report WHERE version = %s", (versions[1],)).fetchone()[0]
    )
    with open(mapped / "sign.csv", "a", newline="") as f:  # the last table staged: everything before it ran
        f.write("S-broken,P-00000001,not-a-number,,," + LINE_END)
    (mapped / "chain.json").unlink()  # no validation chain: every row is copied, the broken one too
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        _load(conn, versions[1])
    assert table_counts(conn, IMPORTED) == before
    assert conn.execute(
        "SELECT loaded_at FROM loader_report WHERE version = %s", (versions[1],)
    ).fetchone() == (None,)


def test_a_manual_edit_survives_until_upstream_changes_it(conn, home, sample) -> None:
    export, expected = sample
    versions = [layer["version"] for layer in expected["layers"]]
    load_export(conn, export, home, through=versions[0])
    later = {r["id"] for v in versions[1:] for r in _reports(export, v)}
    first = {r["id"]: r for r in _reports(export, versions[0])}
    untouched = next(i for i in first if i not in later)
    # a record whose meaning really changed: plain fields the portal never re-spells differ
    plain = ("name", "status", "region")
    changed = next(
        r["id"]
        for r in _reports(export, versions[1])
        if r["id"] in first and any(r.get(k) != first[r["id"]].get(k) for k in plain)
    )
    for ext_id in (untouched, changed):
        conn.execute("UPDATE passport SET region = 'Edited by hand' WHERE ext_id = %s", (ext_id,))
    conn.commit()
    load_export(conn, export, home)
    rows = dict(
        conn.execute(
            "SELECT ext_id, region FROM passport WHERE ext_id = ANY(%s)", ([untouched, changed],)
        ).fetchall()
    )
    assert rows[untouched] == "Edited by hand"
    assert rows[changed] != "Edited by hand", f"{changed} changed upstream but kept the manual edit"
    reported = conn.execute("SELECT ext_id, column_name, manual_value FROM loader_overwrite").fetchall()
    assert (changed, "region", "Edited by hand") in reported
    history = conn.execute(
        """SELECT h.region, h.imported FROM passport_history h JOIN passport p ON p.id = h.row_id
                              WHERE p.ext_id = %s ORDER BY h.history_id""",
        (changed,),
    ).fetchall()
    assert ("Edited by hand", False) in history and history[-1][1] is True


def _reports(export: Path, version: str) -> list[dict]:
    doc = json.loads(export.read_text())
    return next(layer["reports"] for layer in doc["layers"] if layer["version"] == version)
