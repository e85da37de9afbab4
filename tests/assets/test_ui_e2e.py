"""End to end through the UI's own API: `dagster dev` (webserver + daemon) on the embedded
PostgreSQL, as `make dev` runs it; a layer launched through GraphQL, as the UI's button does.

Asserts that the run succeeds, that the blocking check layer_is_valid is recorded as passed in
Dagster's storage, and that the layer is loaded in Strata's database. The processes run in a
session of their own and are stopped at the end; every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from dagster import AssetCheckKey, AssetKey, DagsterEventType, DagsterInstance
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from assets.instance import prepare_instance
from pipelines.core.settings import Settings, StrataHome
from pipelines.db.connection import connect
from pipelines.intake.registration import register
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from tests.support.paths import REPO
from tests.support.postgres import embedded_home

STARTUP = 180  # seconds: bounds, never expectations
RUN = 240

# About a minute (the webserver, the daemon and a code server start): `make e2e` runs it, in CI too.
pytestmark = [
    pytest.mark.skipif(os.environ.get("STRATA_E2E") != "1", reason="UI end to end: run `make e2e`"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dagster_dev(home: StrataHome, port: int, log: Path) -> Iterator[subprocess.Popen]:
    """`dagster dev` against STRATA_HOME's dagster.yaml; stopped with its whole process group."""
    env = dict(os.environ, STRATA_HOME=str(home.root), DAGSTER_HOME=str(home.dagster_home))
    env.pop("DATABASE_URL", None)
    dagster = Path(sys.executable).with_name("dagster")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        for sig, wait in ((signal.SIGINT, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


def wait_for_webserver(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"dagster dev did not answer within {STARTUP} s:\n{log.read_text()[-3000:]}")


def submit(client: DagsterGraphQLClient, version: str) -> str:
    """Launch layer_job for one partition; retried while the code location is still loading."""
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            return client.submit_job_execution("layer_job", tags={"dagster/partition": version})
        except DagsterGraphQLClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def wait_for_run(client: DagsterGraphQLClient, run_id: str, log: Path) -> str:
    deadline = time.monotonic() + RUN
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id).value
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(1)
    pytest.fail(f"run {run_id} did not finish within {RUN} s:\n{log.read_text()[-3000:]}")


def test_a_layer_launched_through_the_ui_api_loads_and_records_its_check(tmp_path: Path) -> None:
    with embedded_home() as home:
        urls, _ = prepare_instance(Settings(home=home, database_url=None))  # what `strata db up` does
        expected = write_sample(tmp_path / "s", seed=2, passports=30, layers=1)
        version = expected["layers"][0]["version"]
        with connect(urls.strata) as conn:
            seed(conn, tmp_path / "s" / "reference")
            register(conn, tmp_path / "s" / "export.json", home)
        port, log = free_port(), tmp_path / "dagster-dev.log"
        with dagster_dev(home, port, log) as proc:
            wait_for_webserver(proc, port, log)
            client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=30)
            run_id = submit(client, version)
            assert wait_for_run(client, run_id, log) == "SUCCESS", log.read_text()[-3000:]

        instance = DagsterInstance.from_config(str(home.dagster_home))
        try:
            run = instance.get_run_by_id(run_id)
            assert run.tags["dagster/partition"] == version and run.tags["strata/flow"] == "layer"
            evaluations = [
                e.dagster_event.event_specific_data
                for e in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
            ]
            assert [
                (e.asset_check_key, e.passed) for e in evaluations if e.check_name == "layer_is_valid"
            ] == [
                (AssetCheckKey(AssetKey("raw_layer"), "layer_is_valid"), True)
            ]  # the run is the partition's
            assert evaluations[0].metadata["errors"].value == 0
            materialized = instance.get_latest_materialization_event(AssetKey("loaded_layer"))
            assert materialized.run_id == run_id
        finally:
            instance.dispose()
        with connect(urls.strata) as conn:
            assert conn.execute(
                "SELECT status, loaded_at IS NOT NULL FROM loader_report WHERE version = %s", (version,)
            ).fetchone() == ("loaded", True)
            assert conn.execute("SELECT count(*) FROM passport WHERE report_id IS NOT NULL").fetchone()[0] > 0
