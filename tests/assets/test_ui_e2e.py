"""End to end through the daemon and the UI's own API: `dagster dev` (webserver + daemon) on the
embedded PostgreSQL, as `make dev` runs it, and exports dropped into the drop folder.

Nothing is done by hand but dropping files (and, at the end, what an analyst does about a blocked
layer): the drop sensor notices each export, its registration runs, the layer sensor validates
and loads the layers in version order. Month after month:

1. a first export of three layers (a large first one, versions 2017-11 .. 2018-01 across a year
   end): every layer loads, in order, and no run fails;
2. next month's export, every earlier layer again plus one new: only the new layer is validated
   and loaded;
3. an export whose 2018-03 has an analyst error and whose 2018-04 is clean: the UI's data (the
   GraphQL queries the asset page makes) shows 2018-03 failed (its check failed for that
   partition), 2018-04 valid but not loaded, and every earlier layer loaded; no blocked layer is a
   green materialization; headless Chromium shows the same on raw_layer's partitions page;
4. the analyst maps the spelling and re-runs 2018-03 from the UI (layer_job through GraphQL, as
   the Materialize button does); the layer sensor then loads 2018-04 by itself.

The processes run in a session of their own and are stopped at the end; every wait is bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from assets.instance import prepare_instance
from pipelines.core.settings import Settings, StrataHome
from pipelines.db.connection import connect
from pipelines.seed.seeding import seed
from tests.support.load_checks import assert_final_state
from tests.support.monthly_exports import first_layers, misspelled_category, monthly_exports
from tests.support.paths import REPO
from tests.support.postgres import embedded_home

STARTUP = 180  # seconds: bounds, never expectations
MONTH = 300

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


def submit(client: DagsterGraphQLClient, job: str, version: str) -> str:
    """Launch a job for one partition; retried while the code location is still loading."""
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            return client.submit_job_execution(job, tags={"dagster/partition": version})
        except DagsterGraphQLClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def wait_for_run(client: DagsterGraphQLClient, run_id: str, log: Path) -> str:
    deadline = time.monotonic() + MONTH
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id).value
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(1)
    pytest.fail(f"run {run_id} did not finish within {MONTH} s:\n{log.read_text()[-3000:]}")


def graphql(port: int, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(
        f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


# What the asset page asks for its partitions and its checks' partitions (Partitions and Checks tabs).
PARTITIONS = """
query Partitions($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      assetPartitionStatuses {
        ... on DefaultPartitionStatuses {
          materializedPartitions failedPartitions unmaterializedPartitions materializingPartitions
        }
      }
      assetChecksOrError {
        ... on AssetChecks {
          checks {
            name
            partitionStatuses {
              ... on AssetCheckDefaultPartitionStatuses {
                succeededPartitions failedPartitions inProgressPartitions executionFailedPartitions
              }
            }
          }
        }
      }
    }
  }
}"""


def partition_view(port: int, asset: str) -> dict[str, Any]:
    node = graphql(port, PARTITIONS, {"key": {"path": [asset]}})["assetNodeOrError"]
    checks = {c["name"]: c["partitionStatuses"] for c in node["assetChecksOrError"]["checks"]}
    return {"partitions": node["assetPartitionStatuses"], "checks": checks}


BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--virtual-time-budget=20000",
]


def page_text(port: int, page: str, profile: Path) -> str:
    """What headless Chromium shows of a UI page once its scripts ran: its text, tags stripped."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert browser, "no chromium: `make e2e` installs it (make chromium)"
    dom = subprocess.run(
        [
            browser,
            *BROWSER_FLAGS,
            f"--user-data-dir={profile}",
            "--dump-dom",
            f"http://127.0.0.1:{port}/{page}",
        ],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(re.sub(r"<[^>]*>", " ", re.sub(r"<!--.*?-->", "", dom, flags=re.S)).split())


def drop(export: Path, home: StrataHome) -> None:
    """Copy into the drop folder the way a careful user does: under a hidden name, then renamed,
    keeping the file's time (`cp -p`), so the sensor sees a complete, settled file."""
    hidden = home.drop / f".{export.name}"
    shutil.copy2(export, hidden)
    settled = time.time() - 60
    os.utime(hidden, (settled, settled))
    hidden.rename(home.drop / export.name)


def layer_states(db_url: str) -> dict[str, tuple[str, bool]]:
    with connect(db_url) as conn:
        rows = conn.execute("SELECT version, status, loaded_at IS NOT NULL FROM loader_report").fetchall()
    return {version: (status, loaded) for version, status, loaded in rows}


def wait_until(
    what: str, done: Callable[[], bool], instance: DagsterInstance, log: Path, *, failing_ok=False
):
    deadline = time.monotonic() + MONTH
    while time.monotonic() < deadline:
        if not failing_ok:
            failed = instance.get_runs_count(_failed_filter())
            assert failed == 0, f"a run failed while waiting for {what}:\n{log.read_text()[-4000:]}"
        if done():
            return
        time.sleep(2)
    pytest.fail(f"not within {MONTH} s: {what}\n{log.read_text()[-4000:]}")


def _failed_filter() -> RunsFilter:
    return RunsFilter(statuses=[DagsterRunStatus.FAILURE])


def _runs_since(instance: DagsterInstance, run_ids: set[str]) -> list[tuple[str, str | None]]:
    return sorted(
        (run.job_name, run.tags.get("dagster/partition"))
        for run in instance.get_runs()
        if run.run_id not in run_ids
    )


def _all_finished(instance: DagsterInstance) -> bool:
    return all(run.is_finished for run in instance.get_runs())


def test_dropped_exports_load_by_themselves_in_order_and_the_ui_shows_each_layers_state(
    tmp_path: Path,
) -> None:
    with embedded_home() as home:
        urls, _ = prepare_instance(Settings(home=home, database_url=None))  # what `strata db up` does
        months = monthly_exports(tmp_path / "exports", start="2017-11", layers=6, passports=300)
        versions = months.versions
        assert versions == ["2017-11", "2017-12", "2018-01", "2018-02", "2018-03", "2018-04"]
        with connect(urls.strata) as conn:
            seed(conn, months.reference)
        first = first_layers(months.second, 3, tmp_path / "export-2018-01.json")
        second = first_layers(months.second, 4, tmp_path / "export-2018-02.json")
        third, spelling, meant = misspelled_category(
            months.second, "2018-03", tmp_path / "export-2018-04.json"
        )

        port, log = free_port(), tmp_path / "dagster-dev.log"
        instance = DagsterInstance.from_config(str(home.dagster_home))
        started = time.monotonic()
        try:
            with dagster_dev(home, port, log) as proc:
                wait_for_webserver(proc, port, log)

                drop(first, home)
                wait_until(
                    "the first three layers loaded",
                    lambda: all(layer_states(urls.strata).get(v, ("", False))[1] for v in versions[:3]),
                    instance,
                    log,
                )
                wait_until("month 1's runs finished", lambda: _all_finished(instance), instance, log)
                month_one = {run.run_id for run in instance.get_runs()}
                assert {run.status for run in instance.get_runs()} == {DagsterRunStatus.SUCCESS}
                with connect(urls.strata) as conn:  # loaded in version order, each once
                    order = [
                        v for (v,) in conn.execute("SELECT version FROM loader_report ORDER BY loaded_at")
                    ]
                assert order == versions[:3]
                print(f"\nmonth 1 (3 layers) loaded {time.monotonic() - started:.0f} s after start")

                drop(second, home)
                wait_until(
                    "2018-02 loaded",
                    lambda: layer_states(urls.strata).get("2018-02", ("", False))[1],
                    instance,
                    log,
                )
                wait_until("month 2's runs finished", lambda: _all_finished(instance), instance, log)
                assert _runs_since(instance, month_one) == [
                    ("layer_job", "2018-02"),
                    ("register_export_job", None),
                ]  # only the new layer, validated and loaded by one run
                month_two = {run.run_id for run in instance.get_runs()}
                print(f"month 2 (one new layer) loaded {time.monotonic() - started:.0f} s after start")

                drop(third, home)
                wait_until(
                    "2018-03 blocked and 2018-04 validated",
                    lambda: (
                        {v: layer_states(urls.strata).get(v) for v in versions[4:]}
                        == {"2018-03": ("invalid", False), "2018-04": ("validated", False)}
                    ),
                    instance,
                    log,
                    failing_ok=True,
                )
                wait_until(
                    "month 3's runs finished", lambda: _all_finished(instance), instance, log, failing_ok=True
                )
                failed = [
                    (run.job_name, run.tags.get("dagster/partition"))
                    for run in instance.get_runs()
                    if run.status is DagsterRunStatus.FAILURE
                ]
                assert failed == [("layer_job", "2018-03")]  # the analyst error stopped it, nothing else

                raw, loaded = partition_view(port, "raw_layer"), partition_view(port, "loaded_layer")
                assert sorted(raw["partitions"]["materializedPartitions"]) == versions[:4] + ["2018-04"]
                assert raw["partitions"]["failedPartitions"] == ["2018-03"]  # not green: failed
                check = raw["checks"]["layer_is_valid"]
                assert check["failedPartitions"] == ["2018-03"]
                assert sorted(check["succeededPartitions"]) == versions[:4] + ["2018-04"]
                # valid but not loaded (2018-04) differs from loaded: loaded_layer has no materialization
                assert sorted(loaded["partitions"]["materializedPartitions"]) == versions[:4]
                assert "2018-04" in loaded["partitions"]["unmaterializedPartitions"]
                # the same in the browser: the partitions page of raw_layer, a blocked and a clean layer
                graphql(port, "mutation { setNuxSeen }")  # the first-visit dialog, skipped
                partitions = "assets/raw_layer?view=partitions&partition="
                blocked = page_text(port, partitions + "2018-03", tmp_path / "chromium")
                assert "Failed (1)" in blocked and "Materialized (5)" in blocked, blocked[:2000]
                assert "did not materialize this asset" in blocked, blocked[:2000]
                clean = page_text(port, partitions + "2018-04", tmp_path / "chromium")
                assert "did not materialize this asset" not in clean and "Latest materialization" in clean
                print(f"month 3 (a blocked layer) shown {time.monotonic() - started:.0f} s after start")

                # the analyst maps the old spelling, then re-runs the layer from the UI
                with connect(urls.strata) as conn:
                    conn.execute(
                        "INSERT INTO category_mapping (value, category_id) SELECT %s, coalesce("
                        "(SELECT id FROM category WHERE lower(code) = lower(%s)),"
                        "(SELECT category_id FROM category_mapping WHERE lower(value) = lower(%s)))",
                        (spelling, meant, meant),
                    )
                client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=30)
                rerun = submit(client, "layer_job", "2018-03")
                assert wait_for_run(client, rerun, log) == "SUCCESS", log.read_text()[-3000:]
                wait_until(
                    "2018-04 loaded by the sensor",
                    lambda: layer_states(urls.strata).get("2018-04", ("", False))[1],
                    instance,
                    log,
                    failing_ok=True,
                )
                assert [job for job, version in _runs_since(instance, month_two) if version == "2018-04"] == [
                    "load_layer_job",
                    "validate_layer_job",
                ]
                after = partition_view(port, "raw_layer")
                assert after["partitions"]["failedPartitions"] == []
                assert after["checks"]["layer_is_valid"]["failedPartitions"] == []
                print(f"fixed and loaded through 2018-04 {time.monotonic() - started:.0f} s after start")

            overview = instance.get_latest_materialization_event(AssetKey("passport_overview"))
            assert overview is not None and overview.run_id in {r.run_id for r in instance.get_runs()}
            assert overview.asset_materialization is not None
            assert overview.asset_materialization.metadata["layer"].value == "2018-04"
        finally:
            instance.dispose()
        with connect(urls.strata) as conn:
            assert_final_state(conn, months.expected)  # as if all six clean layers loaded
