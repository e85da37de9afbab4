"""passport_overview refreshed incrementally by each layer load equals a full rebuild."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.intake.registration import register
from pipelines.load.transaction import load_layer
from pipelines.read_models.passport_overview import (
    passport_overview_drift,
    rebuild_passport_overview,
    refresh_passport_overview,
)
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered

OVERVIEW = "SELECT * FROM passport_overview ORDER BY canonical_pk"


def test_incremental_refresh_after_each_layer_equals_a_full_rebuild(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    expected = write_sample(tmp_path / "s", seed=8, passports=120, layers=4)
    seed(conn, tmp_path / "s" / "reference")
    with conn.transaction():
        rebuild_passport_overview(conn)  # as `strata seed` does
    register(conn, tmp_path / "s" / "export.json", StrataHome(tmp_path / "home").ensure())
    conn.commit()
    for layer in expected["layers"]:
        assert validate_registered(conn, registered_layer(conn, layer["version"])).valid
        conn.commit()
        load_layer(
            conn, layer["version"], after_load=lambda c, r: refresh_passport_overview(c, r.touched_passports)
        )
        assert passport_overview_drift(conn) == [], layer["version"]
        incremental = conn.execute(OVERVIEW).fetchall()
        with conn.transaction():
            rebuild_passport_overview(conn)
        assert conn.execute(OVERVIEW).fetchall() == incremental, layer["version"]
        conn.commit()
    assert len(incremental) == one_row(conn, "SELECT count(*) FROM passport")[0]


def test_a_layer_loaded_again_with_nothing_to_write_refreshes_no_passport(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    """The refresh follows what the load wrote: the same layer again touches no passport (and the
    first time, only passports it wrote or whose maintenance records and signs it wrote)."""
    expected = write_sample(tmp_path / "s", seed=8, passports=120, layers=2)
    seed(conn, tmp_path / "s" / "reference")
    register(conn, tmp_path / "s" / "export.json", StrataHome(tmp_path / "home").ensure())
    conn.commit()
    version = expected["layers"][0]["version"]
    assert validate_registered(conn, registered_layer(conn, version)).valid
    conn.commit()
    first = load_layer(conn, version)
    assert first.touched_passports and first.writes > 0
    again = load_layer(conn, version)
    assert again.writes == 0 and again.touched_passports == []
