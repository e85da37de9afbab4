"""`strata load` killed mid-work, or stopped by SIGTERM, then run again: it finishes by itself.

The moments are made, not guessed: the test holds a lock on a table the command writes
(loader_error while a layer's validation stores its outcome, passport_history while a
load's transaction writes), waits until the command's backend queues behind it (pg_locks),
and kills the command there. Every wait is bounded; none is an expectation of speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from assets.dead_runs import process_tags
from assets.instance import IMPORT_POOL
from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect, one_row
from pipelines.sample.export import write_sample
from tests.cli.test_progress_terminal import strata, strata_env
from tests.support.load_checks import assert_final_state
from tests.support.paths import REPO
from tests.support.postgres import embedded_home

WAIT = 180  # a bound on every wait, never an expectation
BLOCKED_ON = """
SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE NOT l.granted AND c.relname = %s AND l.pid <> pg_backend_pid()"""
OTHER_BACKENDS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
UNFINISHED_RUNS = (
    "SELECT count(*) FROM runs WHERE status IN ('NOT_STARTED', 'STARTING', 'STARTED', 'CANCELING')"
)
HELD_SLOTS = "SELECT count(*) FROM concurrency_slots WHERE run_id IS NOT NULL"


@dataclass
class Setup:
    home: StrataHome
    env: dict[str, str]
    export: Path
    expected: dict
    strata_url: str
    dagster_url: str


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    expected = write_sample(tmp_path / "s", seed=8, passports=150, layers=2)
    with embedded_home() as home:
        env = strata_env(home)
        for command in (("db", "up"), ("seed", str(tmp_path / "s" / "reference"))):
            done = subprocess.run(strata(*command), cwd=REPO, env=env, capture_output=True, timeout=WAIT)
            assert done.returncode == 0, done.stderr
        urls = [
            subprocess.run(
                strata("db", "url", *flag), cwd=REPO, env=env, capture_output=True, text=True, timeout=WAIT
            ).stdout.strip()
            for flag in ((), ("--dagster",))
        ]
        yield Setup(home, env, tmp_path / "s" / "export.json", expected, urls[0], urls[1])


def _until(condition, what: str, detail=lambda: "") -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"{what}\n{detail()}"
        time.sleep(0.05)


def _count(url: str, query: str, params: tuple = ()) -> int:
    with connect(url, autocommit=True) as conn:
        return int(one_row(conn, query, params)[0])


class Load:
    """One `strata load` of the export, its output in files (no pipe to fill)."""

    def __init__(self, s: Setup, out: Path) -> None:
        self.out, self.err = out.with_suffix(".out"), out.with_suffix(".err")
        with open(self.out, "wb") as stdout, open(self.err, "wb") as stderr:
            self.process = subprocess.Popen(
                strata("load", str(s.export)), cwd=REPO, env=s.env, stdout=stdout, stderr=stderr
            )

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def workers(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def _blocked_at(s: Setup, table: str, out: Path) -> tuple[Load, psycopg.Connection, list[psutil.Process]]:
    """Start a load and return once its backend waits for our lock on ``table`` (we hold it)."""
    blocker = psycopg.connect(s.strata_url)
    blocker.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # readers pass, writers wait
    load = Load(s, out)
    _until(
        lambda: _count(s.strata_url, BLOCKED_ON, (table,)) > 0 or load.process.poll() is not None,
        f"strata load never wrote {table}",
    )
    assert load.process.poll() is None, load.output()
    return load, blocker, load.workers()


def _gone(processes: list[psutil.Process]) -> bool:
    return not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)


def _settled(s: Setup, blocker: psycopg.Connection, workers: list[psutil.Process]) -> None:
    """Let go of the table; wait for the killed command's worker and server sessions to end."""
    _until(lambda: _gone(workers), "the validation worker outlived strata load", lambda: str(workers))
    blocker.rollback()
    blocker.close()
    _until(lambda: _count(s.strata_url, OTHER_BACKENDS) == 0, "the dead load's sessions stayed")


def test_kill_9_during_validation_and_twice_during_the_load_then_the_rerun_finishes(
    setup: Setup, tmp_path: Path
) -> None:
    s = setup
    load, blocker, workers = _blocked_at(s, "loader_error", tmp_path / "validating")
    assert workers, "strata load validates in a worker process"
    load.process.kill()
    load.process.wait(WAIT)
    _settled(s, blocker, workers)

    for attempt in (1, 2):  # killed twice in a row while a layer's transaction writes
        load, blocker, workers = _blocked_at(s, "passport_history", tmp_path / f"loading{attempt}")
        load.process.kill()
        load.process.wait(WAIT)
        # the server notices the dead client while we still hold the lock: its transaction is gone
        _until(lambda: _count(s.strata_url, BLOCKED_ON, ("passport_history",)) == 0, "the dead load stayed")
        _settled(s, blocker, workers)
        assert _count(s.dagster_url, HELD_SLOTS) == 1  # the dead run kept its pool slot ...
        assert _count(s.strata_url, "SELECT count(*) FROM passport_history WHERE imported") == 0
        if attempt == 2:  # ... and the second load ended the first one's run before launching
            assert "process" in load.output() and "is gone; marked failed, its pool slots freed" in (
                load.output()
            ), load.output()

    rerun = subprocess.run(
        strata("load", str(s.export)), cwd=REPO, env=s.env, capture_output=True, text=True, timeout=WAIT
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    ended = [line for line in rerun.stdout.splitlines() if line.startswith("ended run ")]
    assert len(ended) == 1 and "loaded_layer for layer 2026-01" in ended[0], rerun.stdout
    assert "loaded through 2026-02" in rerun.stdout
    assert _count(s.dagster_url, UNFINISHED_RUNS) == 0 and _count(s.dagster_url, HELD_SLOTS) == 0
    with connect(s.strata_url) as conn:
        assert_final_state(conn, s.expected)


def test_sigterm_stops_the_load_at_once_rolled_back_and_the_run_ended(setup: Setup, tmp_path: Path) -> None:
    s = setup
    load, blocker, workers = _blocked_at(s, "passport_history", tmp_path / "loading")
    load.process.send_signal(signal.SIGTERM)
    assert load.process.wait(WAIT) == 128 + signal.SIGTERM, load.output()
    assert "stopped by SIGTERM" in load.output()
    # the server was told to cancel: the load's transaction is gone while we still hold the lock
    _until(
        lambda: _count(s.strata_url, BLOCKED_ON, ("passport_history",)) == 0,
        "the load was not cancelled",
        load.output,
    )
    _settled(s, blocker, workers)
    assert _count(s.dagster_url, UNFINISHED_RUNS) == 0, load.output()
    assert _count(s.dagster_url, HELD_SLOTS) == 0, load.output()
    assert _count(s.dagster_url, "SELECT count(*) FROM runs WHERE status = 'FAILURE'") >= 1
    assert _count(s.strata_url, "SELECT count(*) FROM passport_history WHERE imported") == 0

    rerun = subprocess.run(
        strata("load", str(s.export)), cwd=REPO, env=s.env, capture_output=True, text=True, timeout=WAIT
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "ended run" not in rerun.stdout  # nothing was left for it to end
    with connect(s.strata_url) as conn:
        assert_final_state(conn, s.expected)


def test_a_load_waiting_for_a_held_pool_slot_says_so_and_stops_on_sigterm(
    setup: Setup, tmp_path: Path
) -> None:
    """The slot is held by a run whose process is alive (this test's): strata load must wait for
    it, say for what and since when, and still stop on SIGTERM (it used to spin and ignore it)."""
    s = setup
    with DagsterInstance.from_config(str(s.home.dagster_home)) as instance:
        holder = instance.add_run(
            DagsterRun(job_name="layer_job", status=DagsterRunStatus.STARTED, tags=process_tags())
        )
        instance.event_log_storage.set_concurrency_slots(IMPORT_POOL, 1)
        assert instance.event_log_storage.claim_concurrency_slot(IMPORT_POOL, holder.run_id, "x").is_claimed
        load = Load(s, tmp_path / "waiting")
        _until(
            lambda: (
                "is waiting for a slot of pool strata_import since" in load.output()
                or load.process.poll() is not None
            ),
            "strata load never said it waits for the pool",
        )
        assert f"held by run {holder.run_id[:8]} (STARTED, pid {os.getpid()}" in load.output(), load.output()
        workers = load.workers()
        load.process.send_signal(signal.SIGTERM)
        assert load.process.wait(WAIT) == 128 + signal.SIGTERM, load.output()
        _until(lambda: _gone(workers), "the validation worker outlived strata load")
        runs = instance.get_run_records()
        assert {r.dagster_run.status for r in runs if r.dagster_run.run_id != holder.run_id} <= {
            DagsterRunStatus.SUCCESS,  # the validations
            DagsterRunStatus.FAILURE,  # the load that waited
        }
        info = instance.event_log_storage.get_concurrency_info(IMPORT_POOL)
        assert info.active_run_ids == {holder.run_id}
        assert {step.run_id for step in info.pending_steps} == {holder.run_id}  # the load's claim withdrawn
        instance.report_run_failed(holder)
        instance.event_log_storage.free_concurrency_slots_for_run(holder.run_id)
    rerun = subprocess.run(
        strata("load", str(s.export)), cwd=REPO, env=s.env, capture_output=True, text=True, timeout=WAIT
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    with connect(s.strata_url) as conn:
        assert_final_state(conn, s.expected)
