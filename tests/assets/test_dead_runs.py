"""Dead runs are ended with their slots freed; a step waiting for a pool slot sleeps and says so."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, asset, materialize
from dagster._core.execution.plan.active import ActiveExecution

from assets import pool_wait
from assets.dead_runs import HOST_TAG, PID_STARTED_TAG, end_dead_runs, process_tags
from assets.instance import IMPORT_POOL, write_instance_yaml

WAIT = 60  # a bound on every wait, never an expectation


@pytest.fixture
def instance(db_url: str, tmp_path: Path) -> Iterator[DagsterInstance]:
    write_instance_yaml(tmp_path, db_url)
    with DagsterInstance.from_config(str(tmp_path)) as dagster_instance:
        yield dagster_instance


def status_of(instance: DagsterInstance, run_id: str) -> DagsterRunStatus:
    run = instance.get_run_by_id(run_id)
    assert run is not None, run_id
    return run.status


def _dead_process_tags() -> dict[str, str]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    tags = process_tags(child.pid)
    child.kill()
    child.wait(WAIT)
    return tags


def _started_run(instance: DagsterInstance, tags: dict[str, str]) -> DagsterRun:
    return instance.add_run(
        DagsterRun(
            job_name="layer_job",
            status=DagsterRunStatus.STARTED,
            tags=tags | {"dagster/partition": "2026-02"},
        )
    )


def test_run_monitoring_is_on_in_the_written_instance(instance: DagsterInstance) -> None:
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_start_timeout_seconds > 0
    assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0


def test_only_runs_of_this_host_whose_process_is_gone_are_ended(instance: DagsterInstance) -> None:
    dead = _started_run(instance, _dead_process_tags())
    alive = _started_run(instance, process_tags())
    reused_pid = _started_run(instance, process_tags() | {PID_STARTED_TAG: "1000.00"})  # another process
    elsewhere = _started_run(instance, _dead_process_tags() | {HOST_TAG: "another-host"})
    untagged = _started_run(instance, {})
    storage = instance.event_log_storage
    storage.set_concurrency_slots(IMPORT_POOL, 1)
    assert storage.claim_concurrency_slot(IMPORT_POOL, dead.run_id, "loaded_layer").is_claimed

    ended = end_dead_runs(instance)

    assert {run.run_id for run in ended} == {dead.run_id, reused_pid.run_id}
    [line] = [run.line() for run in ended if run.run_id == dead.run_id]
    assert line.startswith(f"ended run {dead.run_id[:8]} (layer_job for layer 2026-02): it was STARTED")
    assert line.endswith("is gone; marked failed, its pool slots freed")
    runs = (dead, alive, reused_pid, elsewhere, untagged)
    assert [status_of(instance, r.run_id) for r in runs] == [
        DagsterRunStatus.FAILURE,
        DagsterRunStatus.STARTED,
        DagsterRunStatus.FAILURE,
        DagsterRunStatus.STARTED,  # another host's runs are that host's to judge
        DagsterRunStatus.STARTED,
    ]
    assert not storage.get_concurrency_info(IMPORT_POOL).claimed_slots
    assert end_dead_runs(instance) == []  # nothing twice


@asset(pool=IMPORT_POOL)
def pooled() -> int:
    return 1


def test_a_step_waiting_for_a_pool_slot_sleeps_and_says_for_what(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dagster's own loop asks for the next check in ~0 s and spins: thousands of turns a second.
    Patient, it turns about once a second."""
    storage = instance.event_log_storage
    storage.set_concurrency_slots(IMPORT_POOL, 1)
    holder = _started_run(instance, process_tags())
    assert storage.claim_concurrency_slot(IMPORT_POOL, holder.run_id, "loaded_layer").is_claimed
    turns = [0]
    sleep_til_ready = ActiveExecution.sleep_til_ready

    def counted(self: ActiveExecution) -> None:
        turns[0] += 1
        sleep_til_ready(self)

    monkeypatch.setattr(ActiveExecution, "sleep_til_ready", counted)
    waited = threading.Event()

    def free_later() -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not storage.get_concurrency_info(IMPORT_POOL).pending_run_ids:
            time.sleep(0.05)
        time.sleep(3)  # the step waits this long at least
        waited.set()
        storage.free_concurrency_slots_for_run(holder.run_id)

    freer = threading.Thread(target=free_later, daemon=True)
    freer.start()
    pool_wait.install()
    result = materialize([pooled], instance=instance, tags=process_tags())
    freer.join(WAIT)
    assert result.success and waited.is_set()
    assert 0 < turns[0] < 100, turns  # spinning made it hundreds of thousands
    err = capsys.readouterr().err
    assert "step pooled is waiting for a slot of pool strata_import since " in err, err
    assert f"held by run {holder.run_id[:8]} (STARTED, pid {os.getpid()} on " in err, err
    assert "step pooled got its slot of pool strata_import after" in err
