"""Runs whose process is gone: found by the tags of the process that runs them, ended as failed.

Why: a process killed with SIGKILL (the OOM killer, a reboot, a deploy) cannot tell Dagster
its run ended. The run stays STARTED and keeps its pool slot (``concurrency_slots``), so the
next load's step waits for a slot nobody frees. The daemon's run monitoring cannot see this
with the default run launcher (it has no worker health check for a STARTED run), so the
process that runs a run's steps tags it with where it runs (host, pid and the process's start
time, so a reused pid is not taken for the dead process), and `strata load` ends every
unfinished run of its own host whose process is gone before it launches anything.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

import psutil
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from dagster._core.events import JobFailureData, RunFailureReason

from assets.instance import IMPORT_POOL

HOST_TAG = "strata/host"
PID_TAG = "strata/pid"
PID_STARTED_TAG = "strata/pid_started"  # the process's start time (seconds since the epoch)
ASSETS_TAG = "strata/assets"  # what an in-process run of `strata load` materializes (its job is ephemeral)
UNFINISHED = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class EndedRun:
    run_id: str
    what: str  # the assets it materialized, else its job's name
    partition: str | None
    status: str
    pid: int
    slots_freed: bool

    def line(self) -> str:
        layer = f" for layer {self.partition}" if self.partition else ""
        slots = ", its pool slots freed" if self.slots_freed else ""
        return (
            f"ended run {self.run_id[:8]} ({self.what}{layer}): it was {self.status} but its "
            f"process {self.pid} is gone; marked failed{slots}"
        )


def process_tags(pid: int | None = None) -> dict[str, str]:
    """The tags that say which process runs a run (this one unless ``pid`` is given)."""
    pid = os.getpid() if pid is None else pid
    return {
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(pid),
        PID_STARTED_TAG: f"{psutil.Process(pid).create_time():.2f}",
    }


def process_alive(tags: Mapping[str, str]) -> bool:
    """Whether the process named by a run's tags still runs (the same process, not a reused pid)."""
    try:
        process = psutil.Process(int(tags[PID_TAG]))
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        started = float(tags.get(PID_STARTED_TAG, "0"))
        return not started or abs(process.create_time() - started) < 1.0
    except (psutil.NoSuchProcess, ValueError):
        return False
    except psutil.AccessDenied:
        return True  # someone else's live process


def end_dead_runs(instance: DagsterInstance) -> list[EndedRun]:
    """End (as failed, slots freed) every unfinished run of this host whose process is gone."""
    host = socket.gethostname()
    ended: list[EndedRun] = []
    for record in instance.get_run_records(
        RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: host}), ascending=True
    ):
        run = record.dagster_run
        if PID_TAG not in run.tags or process_alive(run.tags):
            continue
        ended.append(_end(instance, run))
    return ended


def _end(instance: DagsterInstance, run: DagsterRun) -> EndedRun:
    pid = int(run.tags[PID_TAG])
    instance.report_run_failed(
        run,
        f"The process that ran this run (pid {pid} on {run.tags[HOST_TAG]}) is gone (killed, out of "
        "memory, or the machine restarted): marked failed by `strata load`. PostgreSQL rolled back "
        "its transaction; load the layer again.",
        JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION),
    )
    storage = instance.event_log_storage
    slots_freed = False
    if storage.supports_global_concurrency_limits:
        slots_freed = (
            run.run_id in storage.get_concurrency_run_ids()  # steps waiting for a slot
            or run.run_id in storage.get_concurrency_info(IMPORT_POOL).active_run_ids  # slot held
        )
        storage.free_concurrency_slots_for_run(run.run_id)
    assets = sorted(key.to_user_string() for key in run.asset_selection or ())
    return EndedRun(
        run.run_id,
        ", ".join(assets) or run.tags.get(ASSETS_TAG) or run.job_name,
        run.tags.get("dagster/partition"),
        run.status.value,
        pid,
        slots_freed,
    )
