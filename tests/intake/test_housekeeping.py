"""Disk housekeeping (pipelines.intake.housekeeping): what goes, what stays, and never under a reader.

Readers are real: a registration splitting, a validation reading spools, a load inside its
transaction; each one calls the housekeeping from its own progress or after-load hook, on a
connection of its own, as a concurrent run would.

Here every registration writes every layer, as registrations did before unchanged layers were
reused (such copies are on disk wherever Strata ran before) and as a changed layer still is: a
superseded copy to remove. Copies shared by unchanged layers: tests/intake/test_monthly.py.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.core.exceptions import TerminalError
from pipelines.core.progress import Every, Progress, ProgressEvent
from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect
from pipelines.intake import registration
from pipelines.intake.housekeeping import Tidied, reading_spools, tidy_after_commit, tidy_spools
from pipelines.intake.registration import register
from pipelines.load.transaction import load_layer
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.month_helpers import load_month, monthly_exports


@pytest.fixture
def months(conn: psycopg.Connection, tmp_path: Path) -> list[Path]:
    exports, _ = monthly_exports(tmp_path / "portal", 3, passports=60, seed=4)
    seed(conn, tmp_path / "portal" / "sample" / "reference")
    conn.commit()
    return exports


@pytest.fixture(autouse=True)
def every_layer_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registration, "_layer_copies", lambda conn, home: {})


@pytest.fixture
def home(tmp_path: Path) -> StrataHome:
    return StrataHome(tmp_path / "home").ensure()


def spool_names(home: StrataHome) -> dict[str, list[str]]:
    return {d.name[:8]: sorted(p.name for p in d.iterdir()) for d in sorted(home.spool.iterdir())}


def validate(conn: psycopg.Connection, version: str, progress: Progress | None = None) -> None:
    assert validate_registered(conn, registered_layer(conn, version), progress=progress).valid
    conn.commit()


def tidy(db_url: str, home: StrataHome) -> Tidied:
    return tidy_after_commit(lambda: connect(db_url), home)


def test_a_validation_reading_spools_defers_housekeeping(
    conn: psycopg.Connection, db_url: str, months: list[Path], home: StrataHome
) -> None:
    register(conn, months[0], home)
    conn.commit()
    validate(conn, "2026-01")
    load_layer(conn, "2026-01")
    register(conn, months[1], home)
    conn.commit()
    before = spool_names(home)
    assert len(before) == 2  # the first export's copy of 2026-01 is spent, not yet removed
    seen: list[Tidied] = []

    def meanwhile(event: ProgressEvent) -> None:
        if not seen:
            seen.append(tidy(db_url, home))
            assert spool_names(home) == before

    validate(conn, "2026-02", Progress(Every(meanwhile, 0)))
    assert seen[0].deferred and not seen[0].layer_copies
    with connect(db_url) as other, reading_spools(other):
        assert tidy(db_url, home).deferred  # a session holding the spools, between its transactions
    after = tidy(db_url, home)
    assert after.layer_copies == ["2026-01 of export-2026-01.json (file 1)"] and after.freed_bytes > 0
    assert len(spool_names(home)) == 1


def test_a_load_in_its_transaction_defers_housekeeping(
    conn: psycopg.Connection, db_url: str, months: list[Path], home: StrataHome
) -> None:
    load_month(conn, db_url, months[0], home)
    register(conn, months[1], home)
    conn.commit()
    validate(conn, "2026-02")
    during: list[Tidied] = []
    load_layer(conn, "2026-02", after_load=lambda c, r: during.append(tidy(db_url, home)))
    assert during[0].deferred
    assert tidy(db_url, home).layer_copies == ["2026-01 of export-2026-01.json (file 1)"]


def test_a_registration_in_flight_keeps_its_uncommitted_spools(
    conn: psycopg.Connection, db_url: str, months: list[Path], home: StrataHome
) -> None:
    during: list[Tidied] = []

    def meanwhile(event: ProgressEvent) -> None:
        if event.stage == "split" and event.final:  # spools written, row not committed yet
            during.append(tidy(db_url, home))

    registered = register(conn, months[0], home, progress=Progress(Every(meanwhile, 0)))
    assert during[0].deferred
    conn.commit()
    assert tidy(db_url, home).leftovers == []
    assert (home.spool / registered.sha256 / "2026-01.jsonl").is_file()


def test_leftovers_of_interrupted_work_go_and_registered_files_stay(
    conn: psycopg.Connection, db_url: str, months: list[Path], home: StrataHome
) -> None:
    registered = register(conn, months[0], home)
    conn.commit()
    for leftover in ("spool/" + "ab" * 32, "spool/.split.tmp-1234", "work/.strata-extract-1"):
        (home.root / leftover).mkdir(parents=True)
        (home.root / leftover / "big.jsonl").write_bytes(b"x" * 1000)
    (home.archive / ".incoming-0123.json").write_bytes(b"half a copy")
    tidied = tidy(db_url, home)
    assert sorted(tidied.leftovers) == sorted(
        [
            "spool/" + "ab" * 32,
            "spool/.split.tmp-1234",
            "work/.strata-extract-1",
            "archive/.incoming-0123.json",
        ]
    )
    assert tidied.freed_bytes == 3000 + len(b"half a copy")
    assert [p.name for p in home.spool.iterdir()] == [registered.sha256]
    assert registered.archive_path.is_file() and list((home.root / "work").iterdir()) == []


def test_a_layer_validated_from_an_older_export_still_loads_after_a_newer_one_arrives(
    conn: psycopg.Connection, db_url: str, months: list[Path], home: StrataHome
) -> None:
    """Validated from export 2 (layers 1-2), then export 3 arrives before either layer loads: the
    loads read export 2's mapped rows, and validation of layer 3 reads export 3's earlier spools."""
    register(conn, months[1], home)
    conn.commit()
    validate(conn, "2026-01")
    validate(conn, "2026-02")
    register(conn, months[2], home)
    conn.commit()
    assert tidy(db_url, home).layer_copies == []  # nothing loaded: everything is still to be read
    load_layer(conn, "2026-01")
    assert tidy(db_url, home).layer_copies == ["2026-01 of export-2026-02.json (file 1)"]
    load_layer(conn, "2026-02")  # from export 2's mapped rows, still there
    validate(conn, "2026-03")
    load_layer(conn, "2026-03")
    tidied = tidy(db_url, home)
    assert tidied.layer_copies == ["2026-02 of export-2026-02.json (file 1)"]
    assert len(spool_names(home)) == 1  # export 2's folder went with its last layer


def test_a_load_whose_mapped_rows_were_removed_says_what_to_do(
    conn: psycopg.Connection, db_url: str, months: list[Path], home: StrataHome
) -> None:
    """Loading the last loaded layer again (loaded_layer materialized alone in the UI) once a newer
    export superseded the copy it was validated from."""
    load_month(conn, db_url, months[0], home)
    register(conn, months[1], home)
    conn.commit()
    assert tidy(db_url, home).layer_copies == ["2026-01 of export-2026-01.json (file 1)"]
    with pytest.raises(TerminalError, match="mapped rows are gone .* materialize raw_layer"):
        load_layer(conn, "2026-01")
    validate(conn, "2026-01")  # validated again from the newest export, it loads again
    assert load_layer(conn, "2026-01").writes == 0


def test_housekeeping_refuses_to_run_inside_a_transaction(conn: psycopg.Connection, home: StrataHome) -> None:
    conn.execute("SELECT 1")
    with pytest.raises(RuntimeError, match="between transactions"):
        tidy_spools(conn, home)
