"""PostgreSQL stopped while Strata works: on a dedicated embedded server of this module's own,
so stopping it disturbs no other test.

- a load whose server goes away mid-transaction fails with a TransientError that says so,
  leaves no partial layer, and loads fully once the server is back;
- the layer sensor and the schedule skip (they do not error) while the server is away; the
  drop-folder sensor needs no server; each layer is requested under one run key once it is back,
  however often the sensors ticked;
- a Dagster step that cannot reach the server is retried by its retry policy; analyst errors
  and bugs are not.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    RetryPolicy,
    asset,
    build_schedule_context,
    materialize,
)

from assets.failures import terminal_as_failure
from assets.layer_schedule import monthly_layer_schedule
from pipelines.core.exceptions import TerminalError, TransientError
from pipelines.core.settings import StrataHome
from pipelines.db import embedded
from pipelines.db.connection import connect, ensure_database
from pipelines.db.counts import table_counts
from pipelines.db.migrations import migrate
from pipelines.db.urls import with_database
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from resources.database import DatabaseResource
from resources.intake import DropFolderResource
from tests.support.intake_helpers import export_doc, report, write_json
from tests.support.load_checks import assert_final_state, load_export
from tests.support.postgres import embedded_home
from tests.support.sensor_ticks import requested, run_registration, skip_message, tick_drop, tick_layers

TABLES = (
    "passport",
    "maintenance",
    "maintenance_crew",
    "measurement",
    "sign",
    "passport_history",
    "loader_overwrite",
    "loader_file",
)
WAIT = 60  # seconds: a bound on every wait, never an expectation


class Server:
    """The module's own embedded PostgreSQL, which tests may stop and start."""

    def __init__(self, home: StrataHome) -> None:
        self.home = home
        self.server_url = embedded.start(home)
        self.count = 0

    def fresh_database(self) -> str:
        self.count += 1
        url = with_database(self.server_url, f"outage_{self.count}")
        ensure_database(url)
        with connect(url) as conn:
            migrate(conn)
        return url

    def stop(self) -> None:
        assert embedded.stop(self.home)

    def start(self) -> None:
        assert embedded.start(self.home) == self.server_url  # a unix socket in pgdata: same URL


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with embedded_home() as home:
        yield Server(home)


@pytest.fixture
def db(server: Server) -> Iterator[str]:
    url = server.fresh_database()
    yield url
    if not embedded.is_running(server.home):
        server.start()  # a failed test must not leave the server down for the next one


def test_server_stopped_mid_load_fails_clearly_leaves_no_partial_layer_and_a_retry_loads(
    server: Server, db: str, tmp_path: Path
) -> None:
    expected = write_sample(tmp_path / "s", seed=5, passports=60, layers=2)
    home = StrataHome(tmp_path / "home").ensure()
    first, second = (layer["version"] for layer in expected["layers"])
    with connect(db) as conn:
        seed(conn, tmp_path / "s" / "reference")
        conn.commit()
        load_export(conn, tmp_path / "s" / "export.json", home, through=first)
        assert validate_registered(conn, registered_layer(conn, second)).valid
        conn.commit()
        before = table_counts(conn, TABLES)

    inside, resume, outcome = threading.Event(), threading.Event(), []

    def pause(_conn: psycopg.Connection, result) -> None:
        assert result.writes > 0  # the transaction has written rows when the server goes away
        inside.set()
        resume.wait(WAIT)

    def loader() -> None:
        try:
            with connect(db) as conn:
                load_layer(conn, second, after_load=pause)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=loader)
    thread.start()
    assert inside.wait(WAIT)
    server.stop()  # pg_ctl -m fast: the loader's backend is terminated inside its transaction
    resume.set()
    thread.join(WAIT)
    assert not thread.is_alive()

    [error] = outcome
    assert isinstance(error, TransientError), repr(error)
    assert isinstance(error.__cause__, psycopg.OperationalError)
    assert "lost the connection to PostgreSQL" in str(error) and "rolled back" in str(error)

    server.start()
    with connect(db) as conn:
        assert table_counts(conn, TABLES) == before
        assert conn.execute(
            "SELECT loaded_at FROM loader_report WHERE version = %s", (second,)
        ).fetchone() == (None,)
        load_export(conn, tmp_path / "s" / "export.json", home)  # the retry
        assert_final_state(conn, expected)


def test_sensors_and_schedule_skip_while_the_database_is_down_and_each_layer_is_requested_once(
    server: Server, db: str, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    layers = {"2026-01": [report("P-1")], "2026-02": [report("P-2")]}
    write_json(drop / "export.json", export_doc(layers))
    resources = {
        "database": DatabaseResource(database_url=db, strata_home=str(tmp_path / "home")),
        "drop_folder": DropFolderResource(path=str(drop), settle_seconds=0),
    }
    with DagsterInstance.ephemeral() as instance:
        server.stop()
        # The drop sensor needs no database: it notices the file and asks for its registration.
        noticed = tick_drop(resources, None, instance)
        assert [job for job, _, _ in requested(noticed)] == [None]  # its own job: register_export_job
        for _ in range(5):  # the daemon ticks every 10 s during the outage
            result = tick_layers(resources, instance)
            assert "database unavailable" in skip_message(result)
        with build_schedule_context(
            resources={"database": resources["database"]},
            scheduled_execution_time=datetime(2026, 2, 2, 6, tzinfo=UTC),
            instance=instance,
        ) as context:
            skipped = monthly_layer_schedule(context)
        assert "layer 2026-01 not requested" in skip_message(skipped)
        server.start()

        assert run_registration(resources, drop / "export.json", instance).success
        asked = [request for _ in range(3) for request in requested(tick_layers(resources, instance))]
        # the same request each tick, under one run key per layer and content: Dagster launches it once
        assert sorted(set(asked)) == [
            ("layer_job", "2026-01", asked[1][2]),  # the next to load: validated and loaded in one run
            ("validate_layer_job", "2026-02", asked[0][2]),
        ]
        assert len({key for _, _, key in asked}) == 2
        # A drop tick whose cursor was lost asks again under the same run key (Dagster skips it), and
        # a second registration run of the same file finds it registered: nothing twice.
        assert requested(tick_drop(resources, None, instance)) == requested(noticed)
        assert run_registration(resources, drop / "export.json", instance).success
    with connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM loader_file").fetchone() == (1,)


FAST = RetryPolicy(max_retries=2, delay=0)  # the production policy waits 30 s and more; the rule is the same


def _attempts(result) -> tuple[int, list[str]]:
    retries = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    failures = [
        e.event_specific_data.error.to_string()
        for e in result.all_events
        if e.event_type == DagsterEventType.STEP_FAILURE
    ]
    return len(retries), failures


def test_a_step_that_cannot_reach_the_database_is_retried_other_errors_are_not(
    server: Server, db: str, tmp_path: Path
) -> None:
    @asset(retry_policy=FAST)
    def needs_database(database: DatabaseResource) -> None:
        with terminal_as_failure(), database.connect() as conn:
            conn.execute("SELECT 1")

    @asset(retry_policy=FAST)
    def analyst_error(database: DatabaseResource) -> None:
        with terminal_as_failure(), database.connect():
            raise TerminalError("layer 2026-01 has 3 analyst errors")

    @asset(retry_policy=FAST)
    def bug(database: DatabaseResource) -> None:
        with terminal_as_failure(), database.connect():
            raise KeyError("oops")

    resources = {"database": DatabaseResource(database_url=db, strata_home=str(tmp_path / "home"))}
    server.stop()
    down = materialize([needs_database], resources=resources, raise_on_error=False)
    server.start()
    retries, failures = _attempts(down)
    assert not down.success and retries == FAST.max_retries
    assert "cannot reach PostgreSQL" in failures[-1]

    for terminal in (analyst_error, bug):
        result = materialize([terminal], resources=resources, raise_on_error=False)
        retries, failures = _attempts(result)
        assert not result.success and retries == 0, terminal.key
    assert (
        "3 analyst errors"
        in _attempts(materialize([analyst_error], resources=resources, raise_on_error=False))[1][0]
    )
