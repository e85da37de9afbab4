"""The peer: dlt (a bench-only dependency) merging the same layers, in order, on the passport id.

Each layer is one ``pipeline.run`` of a resource yielding that layer's reports as parsed
(from the spools the split wrote: the same records Strata reads), ``write_disposition="merge"``
with ``primary_key="id"``; dlt flattens the nested lists into child tables itself. The
fastest settings measured here (BENCHMARKS.md) are used (csv loader files, no compression, two
normalize workers). Rows are counted from the input, because dlt's own counts are wrong
with csv (BENCHMARKS.md). Its schema is ``bench_dlt`` in the bench database; its working folder
is under bench-data/ and wiped first, so every run is a first load.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from bench.dataset import DATA
from bench.environment import BenchEnv
from pipelines.db.connection import connect
from pipelines.intake.spools import read_lines
from pipelines.validation.registered import registered_layer

DATASET = "bench_dlt"
WORK = DATA / "dlt"


def dlt_credentials(url: str) -> str:
    """dlt wants a host even for a unix socket: ``postgresql://u:x@localhost:5432/db?host=DIR``."""
    parts = urlsplit(url)
    socket_dir = parse_qs(parts.query).get("host", [None])[0]
    if parts.hostname or socket_dir is None:
        return url
    user = parts.username or "postgres"
    return f"postgresql://{user}:{parts.password or 'x'}@localhost:{parts.port or 5432}{parts.path}?host={socket_dir}"


def flattened_rows(report: dict[str, Any]) -> int:
    """passport + maintenance + measurements + crew + signs: the rows Strata and COPY count."""
    rows = 1 + len(report.get("signs") or ())
    for item in report.get("maintenance") or ():
        rows += 1 + len(item.get("measurements") or ()) + len(set(item.get("crew") or ()))
    return rows


def _reports(spool: Path, counter: dict[str, int]) -> Iterator[dict[str, Any]]:
    """One layer's reports as parsed, counting their flattened rows on the way."""
    for _, line in read_lines(spool):
        report = orjson.loads(line)
        counter["rows"] += flattened_rows(report)
        yield report


def merge_layers(args: dict[str, Any]) -> dict[str, Any]:
    os.environ.update(
        {
            "NORMALIZE__WORKERS": "2",
            "DATA_WRITER__DISABLE_COMPRESSION": "true",
            "RUNTIME__LOG_LEVEL": "WARNING",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
    )
    import dlt

    env = BenchEnv(**args["env"])
    shutil.rmtree(WORK, ignore_errors=True)
    with connect(env.strata_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {DATASET} CASCADE")
        conn.execute(f"DROP SCHEMA IF EXISTS {DATASET}_staging CASCADE")
        spools = [registered_layer(conn, v).spool_path for v in args["versions"]]
    pipeline = dlt.pipeline(
        pipeline_name="strata_bench",
        pipelines_dir=str(WORK),
        dataset_name=DATASET,
        destination=dlt.destinations.postgres(credentials=dlt_credentials(env.strata_url)),
    )
    layers = []
    for version, spool in zip(args["versions"], spools, strict=False):
        counted = {"rows": 0}
        resource = dlt.resource(
            _reports(spool, counted), name="passport", primary_key="id", write_disposition="merge"
        )
        started = time.perf_counter()
        pipeline.run(resource, loader_file_format="csv")
        layers.append({"version": version, "seconds": time.perf_counter() - started, "rows": counted["rows"]})
    return {"layers": layers}
