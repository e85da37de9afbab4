"""The monthly scenario: after the full load, next month's export (the same generator, one more layer).

``scan`` is the limit any monthly run must pay: one read of the whole file with its sha256 and a
streaming parse of every report (ijson's C backend building each report, as the split does),
writing nothing. ``monthly`` is what a user runs, `strata load NEXT_EXPORT`, called in this
child process (the CLI's own ``main``), with its registration, the hash-and-archive copy (a thread
running beside the split) and the split timed where they run; the new layer's validate and load are the durations of the two Dagster
runs that `strata load` launched for it (raw_layer in the validation worker, loaded_layer here),
read back from the instance's run records, so the parts come from the same run as the total.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

import ijson

from bench.environment import BenchEnv
from pipelines.db.connection import connect
from pipelines.intake import registration
from pipelines.intake.split import READ_SIZE, split_export
from pipelines.intake.spool_writer import LayerSpool

REPORTS = "layers.item.reports.item"


class _Hashing:
    """The file's bytes as ijson reads them, hashed on the way."""

    def __init__(self, path: Path) -> None:
        self.file, self.sha = open(path, "rb", buffering=0), hashlib.sha256()

    def read(self, size: int) -> bytes:
        block = self.file.read(size)
        self.sha.update(block)
        return block


def scan(args: dict[str, Any]) -> dict[str, Any]:
    """sha256 plus a streaming parse of the whole export, writing nothing: the scan limit."""
    path = Path(args["export"])
    started = time.perf_counter()
    source = _Hashing(path)
    reports = 0
    for _ in ijson.items(source, REPORTS, use_float=True, buf_size=READ_SIZE):
        reports += 1
    source.file.close()
    return {
        "seconds": time.perf_counter() - started,
        "bytes": path.stat().st_size,
        "reports": reports,
        "sha256": source.sha.hexdigest(),
    }


def monthly(args: dict[str, Any]) -> dict[str, Any]:
    """`strata load NEXT_EXPORT` in this process, its parts timed; the new layer's runs read back."""
    env = BenchEnv(**args["env"])
    timed: dict[str, float] = {}
    marks: dict[str, float] = {}  # epoch seconds, comparable with Dagster's run records
    layers: list[LayerSpool] = []

    def timing(name: str, original: Any) -> Any:
        def timed_call(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            marks.setdefault(f"{name} start", time.time())
            try:
                result = original(*a, **k)
                if name == "split":
                    layers.extend(result)
                return result
            finally:
                timed[name] = timed.get(name, 0.0) + time.perf_counter() - started
                marks[f"{name} end"] = time.time()

        return timed_call

    registration.register = timing("register", registration.register)
    registration.split_export = timing("split", registration.split_export)
    copy = registration.ArchiveCopy
    copy._copy = timing("hash_and_archive", copy._copy)  # type: ignore[method-assign]
    from pipelines.cli.main import main

    out = StringIO()
    started = time.perf_counter()
    marks["main start"] = time.time()
    with redirect_stdout(out):
        code = main(["load", args["export"]])
    seconds = time.perf_counter() - started
    marks["main end"] = time.time()
    print(out.getvalue(), end="", flush=True)
    if code != 0:
        raise SystemExit(f"bench: strata load of the next month's export exited {code}")
    new = [layer.version for layer in layers if not layer.reused]
    with connect(env.strata_url) as conn:
        loaded = {
            v: n
            for v, n in conn.execute("SELECT version, reports FROM loader_report WHERE loaded_at IS NOT NULL")
        }
    return {
        "seconds": seconds,
        **{f"{k}_seconds": v for k, v in timed.items()},
        "layers": len(layers),
        "reused": sum(layer.reused for layer in layers),
        "written": new,
        "written_bytes": sum(layer.bytes for layer in layers if not layer.reused),
        "loaded": sorted(loaded),
        "runs": _new_layer_runs(new, marks),
        "timeline": _timeline(marks),
    }


def _new_layer_runs(versions: list[str], marks: dict[str, float]) -> dict[str, float]:
    """Seconds of the raw_layer and loaded_layer runs of the new layer(s), from the run records, and
    the rows the newest one's load left out (``left_out``, from loaded_layer's metadata)."""
    from dagster import DagsterInstance, RunsFilter

    runs = {"validate": 0.0, "load": 0.0, "left_out": 0.0}  # seconds, seconds, rows
    with DagsterInstance.get() as instance:
        for version in versions:
            for run in instance.get_runs(filters=RunsFilter(tags={"dagster/partition": version})):
                stats = instance.get_run_stats(run.run_id)
                if stats.start_time is None or stats.end_time is None:
                    continue
                kind = "load" if "loaded_layer" in (run.step_keys_to_execute or []) else "validate"
                runs[kind] += stats.end_time - stats.start_time
                marks.setdefault(f"{kind} run start", stats.start_time)
                marks[f"{kind} run end"] = stats.end_time
        runs["left_out"] = newest_load_left_out(instance, versions)
    return runs


def newest_load_left_out(instance: Any, versions: list[str]) -> int:
    """The rows the newest loaded_layer materialization left out, when it is one of ``versions``
    (its metadata ``rows_left_out``: unchanged since the validation chain it resumed)."""
    from dagster import AssetKey

    event = instance.get_latest_materialization_event(AssetKey("loaded_layer"))
    done = event.asset_materialization if event else None
    if done is None or done.partition not in versions or "rows_left_out" not in done.metadata:
        return 0
    return int(done.metadata["rows_left_out"].value)


def _timeline(marks: dict[str, float]) -> list[tuple[str, float]]:
    """Every mark as seconds since ``main()`` started, in order: where the wall goes."""
    zero = marks["main start"]
    return sorted(((name, at - zero) for name, at in marks.items()), key=lambda m: m[1])


def split_formats(args: dict[str, Any]) -> dict[str, Any]:
    """The next export's split as registration runs it (the registered copies known), from the
    .json and from a .7z of it, into scratch folders: what streaming the 7z member costs."""
    env = BenchEnv(**args["env"])
    home = env.settings().home
    with connect(env.strata_url) as conn:
        known = registration._layer_copies(conn, home)
    scratch = Path(tempfile.mkdtemp(prefix="bench-formats-", dir=home.root))
    out: dict[str, Any] = {}
    try:
        for name in ("json", "7z"):
            started = time.perf_counter()
            layers = split_export(Path(args[name]), scratch / name, known=known)
            out[f"{name}_seconds"] = time.perf_counter() - started
            out[f"{name}_reused"] = sum(layer.reused for layer in layers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out["7z_bytes"] = Path(args["7z"]).stat().st_size
    return out
