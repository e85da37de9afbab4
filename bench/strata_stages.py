"""Strata's own stages, each called in a child process by ``bench.child``: the engine directly.

split = ``register`` (hash + archive copy + streaming split); then, as `strata load` runs
them, validation (``validate_registered`` of every layer in order, in a worker process) and
loads (``load_layer`` of each layer once it is valid, with the read-model refresh the asset
runs in the same transaction) overlapped (``load.overlap.validate_while_loading``); and,
for the Dagster comparison, both in turn (``validate``, ``load``). Rows are the flattened rows staged per table (passport, maintenance,
measurement, sign, maintenance_crew), the unit the COPY limit and dlt are measured in.
"""

from __future__ import annotations

import resource
import time
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from bench.environment import BenchEnv
from pipelines.db.connection import connect
from pipelines.intake import registration
from pipelines.load.overlap import validate_in_worker, validate_while_loading
from pipelines.load.transaction import load_layer
from pipelines.read_models.passport_overview import refresh_passport_overview
from pipelines.validation.registered import registered_layer, validate_registered

LAYERS = "SELECT version FROM loader_file_layer WHERE file_id = %s ORDER BY version"


def _env(args: dict[str, Any]) -> BenchEnv:
    return BenchEnv(**args["env"])


def split(args: dict[str, Any]) -> dict[str, Any]:
    """Register the export; the split's own seconds are timed around ``split_export``."""
    env, timed = _env(args), {}
    original = registration.split_export

    def timed_split(*a: Any, **k: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            timed["split"] = time.perf_counter() - started

    registration.split_export = timed_split
    started = time.perf_counter()
    with connect(env.strata_url) as conn:
        registered = registration.register(conn, Path(args["export"]), env.settings().home, reuse=True)
        versions = [v for (v,) in conn.execute(LAYERS, (registered.id,))]
    return {
        "seconds": time.perf_counter() - started,
        "split_seconds": timed.get("split", 0.0),
        "bytes": registered.size_bytes,
        "file_id": registered.id,
        "versions": versions,
    }


def overlapped(args: dict[str, Any]) -> dict[str, Any]:
    """Validate every layer in a worker while each valid layer loads here; per layer, both timings."""
    env = _env(args)
    validated, loaded = [], []
    with connect(env.strata_url) as conn:
        for outcome in validate_while_loading(
            args["versions"],
            partial(validate_in_worker, env.strata_url),
            lambda s: s.valid,
            lambda version, _summary: _load_one(conn, version),
            chain=args.get("chain", True),
        ):
            summary = outcome.validated
            if outcome.loaded is None:
                raise SystemExit(f"bench: layer {summary.version} has {summary.errors} analyst errors")
            validated.append(
                {
                    "version": summary.version,
                    "seconds": summary.seconds,
                    "reports": summary.reports,
                    "rows": summary.rows,
                    "worker_peak_rss_mb": summary.peak_rss_mb,
                }
            )
            loaded.append(outcome.loaded)
    # this process's own peak: the stage's (os.wait4) also counts the worker, a reaped descendant
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"validate_layers": validated, "load_layers": loaded, "loader_peak_rss_mb": own}


def validate(args: dict[str, Any]) -> dict[str, Any]:
    """Validate the given layers in order; per layer: seconds, reports, mapped rows."""
    env, layers = _env(args), []
    with connect(env.strata_url) as conn:
        for version in args["versions"]:
            started = time.perf_counter()
            result = validate_registered(conn, registered_layer(conn, version))
            conn.commit()
            if not result.valid:
                raise SystemExit(f"bench: layer {version} has {len(result.errors)} analyst errors")
            layers.append(
                {
                    "version": version,
                    "seconds": time.perf_counter() - started,
                    "reports": result.reports,
                    "rows": sum(result.counts.values()),
                }
            )
    return {"layers": layers}


def load(args: dict[str, Any]) -> dict[str, Any]:
    """Load the given layers in order, as loaded_layer does (read model refreshed in the transaction)."""
    with connect(_env(args).strata_url) as conn:
        return {"layers": [_load_one(conn, version) for version in args["versions"]]}


def _load_one(conn: psycopg.Connection, version: str) -> dict[str, Any]:
    """One layer loaded as loaded_layer does it (read model refreshed in the transaction), timed."""
    started = time.perf_counter()
    result = load_layer(
        conn, version, after_load=lambda c, r: refresh_passport_overview(c, r.touched_passports)
    )
    return {
        "version": version,
        "seconds": time.perf_counter() - started,
        "rows": sum(c.staged for c in result.tables.values()),
        "writes": result.writes,
        "left_out": result.rows_left_out,  # unchanged since the worker's earlier layers, not copied
        "key_checks": result.key_checks,
    }


def validate_and_load(args: dict[str, Any]) -> dict[str, Any]:
    """Both, layer by layer: the engine-direct twin of one raw_layer + loaded_layer run per layer."""
    validated = validate(args)["layers"]
    loaded = load(args)["layers"]
    return {
        "layers": [
            {**v, "load_seconds": ld["seconds"], "writes": ld["writes"], "load_rows": ld["rows"]}
            for v, ld in zip(validated, loaded, strict=False)
        ]
    }
