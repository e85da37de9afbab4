"""The month after the monthly run, from a drop through the sensors, as `make dev` would run it.

The bench's home gets Dagster's daemon (`dagster-daemon run -w workspace.yaml`, the bench's
STRATA_HOME / DAGSTER_HOME / DATABASE_URL, a process group of its own, stopped at the end). Once
the drop sensor has ticked, the export (layers L+2) is copied into the drop folder (the
DropFolderResource's folder) under a hidden name and renamed, as a user's tool would; the wall
runs from the rename until the poll of loader_report sees every layer of the export loaded.

Nothing is faked: the drop sensor only registers a file whose mtime is ``settle_seconds`` old
(10 s by default, resources/intake.py), both sensors tick at each loop of Dagster's sensor daemon
(every 5 s), and the queued run coordinator dequeues every second. The parts come from the
instance's run records of the same run: the registration run, the new layer's validation and load
(one layer_job run, split at its raw_layer step's end), and the waits between them (sensor ticks,
dequeue, run process start). The floor is this export's own scan limit plus
the new layer's validate and load; the target compares (wall − settle wait) with it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.child import StageRun
from bench.dataset import ROOT
from bench.environment import BenchEnv
from bench.monthly import newest_load_left_out
from pipelines.db.connection import connect

STARTUP = 300  # seconds: bounds, never expectations
MONTH = 3600
POLL = 0.25


def sensor_month(args: dict[str, Any]) -> dict[str, Any]:
    """Start the daemon, drop the export, wait for its layers loaded, read the runs back."""
    from dagster import DagsterInstance

    from resources.intake import DropFolderResource

    env = BenchEnv(**args["env"])
    home = env.settings().home
    resource = DropFolderResource()  # as assets/definitions.py declares it
    folder = resource.folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    export, layers = Path(args["export"]), int(args["layers"])
    before = _loaded(env.strata_url)
    log = home.root / "sensor-month-daemon.log"
    with DagsterInstance.get() as instance, _daemon(env, log) as daemon:
        started = time.time()
        _wait_for_tick(instance, "export_drop_sensor", started, daemon, log)
        copy_start = time.time()
        hidden = folder / f".{export.name}"
        shutil.copyfile(export, hidden)  # mtime: the end of the copy, as any copying tool leaves it
        mtime = hidden.stat().st_mtime
        hidden.rename(folder / f"{args['drop_name']}.json")
        drop_at = time.time()
        while len(now := _loaded(env.strata_url)) < layers:
            _check(instance, started, daemon, log, drop_at)
            time.sleep(POLL)
        loaded_at = time.time()
        deadline = time.monotonic() + STARTUP  # the load run ends just after its commit
        while not all(r.dagster_run.is_finished for r in _records(instance, started)):
            _check(instance, started, daemon, log, drop_at, deadline)
            time.sleep(POLL)
        runs = _runs(instance, started, sorted(set(now) - set(before)))
        left_out = newest_load_left_out(instance, sorted(set(now) - set(before)))
    (folder / f"{args['drop_name']}.json").unlink(missing_ok=True)  # archived by its registration
    settle = max(0.0, mtime + resource.settle_seconds - drop_at)
    return {
        "seconds": loaded_at - drop_at,
        "left_out": left_out,
        "settle_seconds": resource.settle_seconds,
        "settle_wait": settle,
        "copy_seconds": drop_at - copy_start,
        "bytes": export.stat().st_size,
        "written": sorted(set(now) - set(before)),
        "runs": {  # marks as seconds from the drop
            k: {n: t if n == "seconds" else t - drop_at for n, t in v.items()} for k, v in runs.items()
        },
    }


@contextmanager
def _daemon(env: BenchEnv, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    daemon = Path(sys.executable).with_name("dagster-daemon")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(daemon), "run", "-w", "workspace.yaml"],
            cwd=ROOT,
            env=env.environ(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        for sig, wait in ((signal.SIGINT, 60), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


def _fail(why: str, log: Path) -> SystemExit:
    return SystemExit(f"bench: sensor_month: {why}\n{log.read_text(errors='replace')[-4000:]}")


def _wait_for_tick(
    instance: Any, name: str, after: float, daemon: subprocess.Popen[bytes], log: Path
) -> None:
    """Until the sensor has ticked since the daemon started: the daemon runs, the code is loaded."""
    from dagster._core.scheduler.instigation import InstigatorType as Kind

    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise _fail(f"dagster-daemon exited {daemon.returncode}", log)
        for state in instance.all_instigator_state(instigator_type=Kind.SENSOR):
            if state.name == name and instance.get_ticks(
                state.instigator_origin_id, state.selector_id, after=after, limit=1
            ):
                return
        time.sleep(POLL)
    raise _fail(f"{name} did not tick within {STARTUP} s of the daemon's start", log)


def _check(
    instance: Any,
    after: float,
    daemon: subprocess.Popen[bytes],
    log: Path,
    drop_at: float,
    deadline: float | None = None,
) -> None:
    from dagster import DagsterRunStatus

    if daemon.poll() is not None:
        raise _fail(f"dagster-daemon exited {daemon.returncode}", log)
    failed = [
        r.dagster_run.job_name
        for r in _records(instance, after)
        if r.dagster_run.status is DagsterRunStatus.FAILURE
    ]
    if failed:
        raise _fail(f"run(s) failed: {failed}", log)
    if time.time() - drop_at > MONTH or (deadline is not None and time.monotonic() > deadline):
        raise _fail("not loaded in time", log)


def _records(instance: Any, after: float) -> list[Any]:
    from dagster import RunsFilter

    return list(
        instance.get_run_records(filters=RunsFilter(created_after=datetime.fromtimestamp(after, UTC)))
    )


def _loaded(url: str) -> list[str]:
    with connect(url) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM loader_report WHERE loaded_at IS NOT NULL")]


KINDS = {"register_export_job": "register", "validate_layer_job": "validate", "load_layer_job": "load"}
BOTH = "layer_job"  # the layer sensor's one run for the next layer: validated, then loaded


def _runs(instance: Any, after: float, versions: list[str]) -> dict[str, dict[str, float]]:
    """Created (the sensor's tick), started and ended, epoch seconds, of the registration run and
    of the new layers' validation and load (summed seconds when more than one layer is new).

    A layer_job run is split where its raw_layer step ends: the validation is the run from its
    start to there (its set-up included, as a run of its own would count it), the load from there
    to the run's end; the load is "created" and "started" when the validation ends."""
    out: dict[str, dict[str, float]] = {}

    def mark(kind: str, created: float, started: float, ended: float) -> None:
        marks = out.setdefault(kind, {"seconds": 0.0})
        marks["seconds"] += ended - started
        marks["created"] = min(marks.get("created", created), created)
        marks["started"] = min(marks.get("started", started), started)
        marks["ended"] = max(marks.get("ended", ended), ended)

    for record in _records(instance, after):
        run = record.dagster_run
        kind = BOTH if run.job_name == BOTH else KINDS.get(run.job_name)
        if kind is None or (kind != "register" and run.tags.get("dagster/partition") not in versions):
            continue
        if record.start_time is None or record.end_time is None:
            continue
        created = record.create_timestamp.timestamp()
        if kind != BOTH:
            mark(kind, created, record.start_time, record.end_time)
            continue
        steps = {s.step_key: s for s in instance.get_run_step_stats(run.run_id)}
        validated = steps["raw_layer"].end_time or record.end_time
        mark("validate", created, record.start_time, validated)
        mark("load", validated, validated, record.end_time)
    return out


def floor(scan: StageRun, run: StageRun) -> float:
    """This export's scan limit plus the new layer's validate and load runs."""
    runs = run.result["runs"]
    return float(scan.result["seconds"] + runs["validate"]["seconds"] + runs["load"]["seconds"])


def ratio(scan: StageRun, run: StageRun) -> float:
    return float((run.result["seconds"] - run.result["settle_wait"]) / floor(scan, run))


def table(scan: StageRun, run: StageRun) -> list[str]:
    """The drop-to-loaded wall next to its parts, seconds; marks are seconds from the drop."""
    r = run.result
    reg, val, ld = (r["runs"][k] for k in ("register", "validate", "load"))
    rows = [
        ("scan limit of this export (sha256 + streaming parse, writing nothing)", scan.result["seconds"], ""),
        (
            "new layer validate (its raw_layer step, run set-up included)",
            val["seconds"],
            ", ".join(r["written"]),
        ),
        (
            "new layer load (its loaded_layer step, to the run's end)",
            ld["seconds"],
            f"{r.get('left_out', 0):,} unchanged rows left out",
        ),
        ("**floor**: scan limit + new layer validate + load", floor(scan, run), ""),
        ("**drop → loaded**, wall (rename in the drop folder to loader_report loaded)", r["seconds"], ""),
        (
            "… settle wait (file's mtime + settle time − drop)",
            r["settle_wait"],
            f"settle_seconds {r['settle_seconds']:g} (DropFolderResource)",
        ),
        ("… drop → registration run created (settle, drop sensor ticks)", reg["created"], ""),
        ("… created → started (queue dequeue, run process start)", reg["started"] - reg["created"], ""),
        ("… registration run", reg["seconds"], "hash + archive copy + split"),
        (
            "… registration end → validation run created (layer sensor tick)",
            val["created"] - reg["ended"],
            "",
        ),
        ("… created → started (dequeue, run process start)", val["started"] - val["created"], ""),
        ("… validation run", val["seconds"], ""),
        (
            "… validation end → load run created (layer sensor tick; 0 when one layer_job run does both)",
            ld["created"] - val["ended"],
            "",
        ),
        ("… created → started (dequeue, run process start)", ld["started"] - ld["created"], ""),
        ("… load run (loaded seen at its end)", ld["seconds"], ""),
        (
            "(copy into the drop folder before the rename, not in the wall)",
            r["copy_seconds"],
            f"{r['bytes'] / 1e6:,.0f} MB",
        ),
    ]
    out = ["| monthly run from a drop, through the sensors | s | detail |", "|---|---:|---|"]
    out += [f"| {label} | {seconds:.1f} | {detail} |" for label, seconds, detail in rows]
    out.append(f"\nsensor month (wall − settle wait) / floor = {ratio(scan, run):.2f} (target ≤ 1.10)")
    return out
