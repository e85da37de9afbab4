"""Validating layer n+1 in a worker while layer n loads gives validate-all-then-load's outcome."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import psycopg
import pytest

from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.load.overlap import (
    ValidationSummary,
    validate_in_worker,
    validate_while_loading,
    validation_worker,
)
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import mapped_dir, registered_layer
from tests.support.load_checks import assert_final_state, load_export
from tests.support.mapped_rows import left_out


@pytest.fixture
def home(tmp_path: Path) -> StrataHome:
    return StrataHome(tmp_path / "home").ensure()


def _registered(
    conn: psycopg.Connection, tmp_path: Path, home: StrataHome, *, layers: int, dirty: bool = False
) -> tuple[list[str], dict]:
    expected = write_sample(tmp_path / "sample", seed=5, passports=150, layers=layers, dirty=dirty)
    seed(conn, tmp_path / "sample" / "reference")
    load_export(conn, tmp_path / "sample" / "export.json", home, through="0000-00")  # registers only
    conn.commit()
    return [layer["version"] for layer in expected["layers"]], expected


def _run(conn: psycopg.Connection, db_url: str, versions: list[str]) -> list:
    def load(version: str, _summary: ValidationSummary):
        return load_layer(conn, version)

    return list(
        validate_while_loading(versions, partial(validate_in_worker, db_url), lambda s: s.valid, load)
    )


def test_overlapped_validation_and_loads_give_the_expected_database(conn, db_url, tmp_path, home) -> None:
    versions, expected = _registered(conn, tmp_path, home, layers=4)
    outcomes = _run(conn, db_url, versions)
    assert [o.version for o in outcomes] == versions
    assert all(o.validated.valid and o.loaded is not None for o in outcomes)
    assert [o.validated.reports for o in outcomes] == [layer["reports"] for layer in expected["layers"]]
    assert_final_state(conn, expected)


def test_a_blocked_layer_stops_the_loads_but_every_layer_is_validated(conn, db_url, tmp_path, home) -> None:
    versions, expected = _registered(conn, tmp_path, home, layers=3, dirty=True)
    outcomes = _run(conn, db_url, versions)
    assert [o.loaded for o in outcomes] == [None, None, None]
    assert [o.validated.errors for o in outcomes] == [len(layer["errors"]) for layer in expected["layers"]]
    statuses = dict(conn.execute("SELECT version, status FROM loader_report").fetchall())
    assert statuses == {v: "invalid" for v in versions}
    assert conn.execute("SELECT count(*) FROM passport WHERE report_id IS NOT NULL").fetchone() == (0,)


def test_a_failed_load_stops_the_later_loads(conn, db_url, tmp_path, home) -> None:
    versions, _ = _registered(conn, tmp_path, home, layers=3)
    loaded: list[str] = []

    def load(version: str, _summary: ValidationSummary) -> bool:
        loaded.append(version)
        return version != versions[0]  # the first load "fails"

    outcomes = list(
        validate_while_loading(
            versions, partial(validate_in_worker, db_url), lambda s: s.valid, load, loaded_ok=bool
        )
    )
    assert loaded == versions[:1] and [o.validated.valid for o in outcomes] == [True, True, True]


def test_the_worker_starts_before_its_layers_are_known(db_url: str) -> None:
    """`strata load` starts the worker beside the split: it is up, with the validation's module
    imported, before any layer is submitted."""
    warm = partial(validate_in_worker, db_url)
    with validation_worker(warm=warm) as worker:
        deadline = time.monotonic() + 60  # bounded: a spawn and an import
        processes = getattr(worker, "_processes", {})
        while not processes and time.monotonic() < deadline:
            time.sleep(0.05)
            processes = getattr(worker, "_processes", {})
        assert [p.is_alive() for p in processes.values()] == [True]
        assert worker.submit(time.monotonic).result(timeout=60) > 0  # and it takes work


def test_the_loads_leave_out_the_rows_the_worker_found_unchanged(conn, db_url, tmp_path, home) -> None:
    """With its chain, the worker marks each later layer's unchanged rows and the loads leave them
    out; the database is still exactly the expected one (test_overlapped_... above loads the same)."""
    versions, expected = _registered(conn, tmp_path, home, layers=4)
    outcomes = _run(conn, db_url, versions)
    left_out = [o.loaded.rows_left_out for o in outcomes]
    assert left_out[0] == 0 and all(n > 0 for n in left_out[1:]), left_out
    assert_final_state(conn, expected)


def test_a_row_deleted_by_hand_between_two_loads_is_created_again(conn, db_url, tmp_path, home) -> None:
    """A sign the worker marked unchanged in layer 2, deleted by an analyst after layer 1 loaded,
    comes back with layer 2, as it would without the chain: the load does not trust the mark."""
    versions, expected = _registered(conn, tmp_path, home, layers=3)
    deleted: list[str] = []
    after_second: list[tuple[int]] = []

    def load(version: str, _summary: ValidationSummary):
        if version == versions[1]:
            sign = min(left_out(mapped_dir(registered_layer(conn, version)), "sign"))
            conn.execute("DELETE FROM sign WHERE ext_id = %s", (sign,))
            conn.commit()
            deleted.append(sign)
        result = load_layer(conn, version)
        if version == versions[1]:
            after_second.append(one_row(conn, "SELECT count(*) FROM sign WHERE ext_id = %s", (deleted[0],)))
            conn.rollback()
        return result

    outcomes = list(
        validate_while_loading(versions, partial(validate_in_worker, db_url), lambda s: s.valid, load)
    )
    loaded = [o.loaded for o in outcomes if o.loaded is not None]
    assert len(loaded) == len(versions)
    assert after_second == [(1,)]
    assert loaded[1].rows_left_out == 0
    assert_final_state(conn, expected)
