"""`make bench` / `python -m bench`: one run of every stage, then the table.

Environment: BENCH_PASSPORTS / BENCH_LAYERS (export size, default 280000 x 12 ≈ 1.1 GB),
BENCH_DLT_LAYERS (how many layers dlt merges, default all: it is the slowest stage),
BENCH_SKIP (comma-separated stages to leave out: reload, dagster, edits, copy, dlt, monthly, sensor),
BENCH_7Z=1 (after the monthly run, split its export again from the .json and from a .7z of it),
BENCH_CHAIN=off (the validation worker marks no unchanged rows: what leaving them out saves),
DATABASE_URL (bench on that server, database strata_bench, instead of the embedded one).

The stage "sensor" (stages sensor_scan and sensor_month, after the monthly run): the month after
(the generator with layers L+2) copied into the drop folder with Dagster's daemon running on the
bench's home, timed from the drop to its new layer loaded, its parts read back from the run
records (bench/sensor_month.py); its ratio leaves out the drop sensor's settle wait (10 s).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import orjson

from bench.child import StageRun, run_command, run_stage
from bench.dataset import DATA, ensure_export, packed, requested
from bench.environment import fresh_env, machine, server_version
from bench.manual_edits import render as render_edits
from bench.results_tables import Figures, monthly_table, render
from bench.sensor_month import table as sensor_table


def main() -> int:
    skip = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
    bench = ensure_export(*requested())
    print(f"bench: {bench.export} ({bench.size / 1e6:,.0f} MB); fresh database ...", flush=True)
    env = fresh_env(bench)
    common = {"env": asdict(env), "export": str(bench.export)}
    stages: dict[str, StageRun] = {}

    def stage(name: str, target: str, **extra: object) -> StageRun:
        print(f"bench: {name} ...", flush=True)
        stages[name] = run_stage(name, target, {**common, **extra}, env.environ())
        print(
            f"bench: {name}: {stages[name].wall:.1f} s, peak RSS {stages[name].peak_rss_mb:.0f} MB",
            flush=True,
        )
        return stages[name]

    versions = stage("split", "bench.strata_stages:split").result["versions"]
    chain = os.environ.get("BENCH_CHAIN", "on") != "off"  # off: the loads leave no unchanged row out
    both = stage("overlapped", "bench.strata_stages:overlapped", versions=versions, chain=chain)
    worker_rss = max(layer["worker_peak_rss_mb"] for layer in both.result["validate_layers"])
    stages["validate"] = StageRun(
        "validate",
        sum(x["seconds"] for x in both.result["validate_layers"]),
        worker_rss,
        {"layers": both.result["validate_layers"]},
    )
    stages["load"] = StageRun(
        "load",
        sum(x["seconds"] for x in both.result["load_layers"]),
        both.result["loader_peak_rss_mb"],  # the stage's own peak (os.wait4) includes the worker's
        {"layers": both.result["load_layers"]},
    )
    if "reload" not in skip:
        print("bench: reload (strata load of the same export) ...", flush=True)
        strata = str(Path(sys.executable).with_name("strata"))
        stages["reload"] = run_command("reload", [strata, "load", str(bench.export)], env.environ())
    if "dagster" not in skip:
        stage("engine_last", "bench.strata_stages:validate_and_load", versions=versions[-1:])
        stage("dagster_last", "bench.dagster_stage:materialize_layers", versions=versions[-1:])
    if "edits" not in skip:  # bulk manual edits on the loaded database, rolled back (bench/manual_edits.py)
        stage("edits", "bench.manual_edits:bulk_edits", rows=100_000)
    if "copy" not in skip:
        stage("copy", "bench.copy_limit:copy_all", versions=versions)
    if "dlt" not in skip:
        count = int(os.environ.get("BENCH_DLT_LAYERS") or len(versions))
        stage("dlt", "bench.dlt_peer:merge_layers", versions=versions[:count])
    if "monthly" not in skip:  # last: it loads a newer layer, after which no earlier one loads again
        nxt = ensure_export(bench.passports, bench.layers + 1, bench.seed)
        print(
            f"bench: monthly scenario: next month's export {nxt.export} ({nxt.size / 1e6:,.0f} MB)",
            flush=True,
        )
        stage("scan", "bench.monthly:scan", export=str(nxt.export))
        stage("monthly", "bench.monthly:monthly", export=str(nxt.export))
        if os.environ.get("BENCH_7Z"):
            stage("formats", "bench.monthly:split_formats", json=str(nxt.export), **{"7z": str(packed(nxt))})
    if "sensor" not in skip:  # after monthly: the month after, from a drop through the sensors
        after = ensure_export(bench.passports, bench.layers + 2, bench.seed)
        print(f"bench: sensor month: {after.export} ({after.size / 1e6:,.0f} MB) to drop", flush=True)
        stage("sensor_scan", "bench.monthly:scan", export=str(after.export))
        stage(
            "sensor_month",
            "bench.sensor_month:sensor_month",
            export=str(after.export),
            layers=after.layers,
            drop_name=after.folder.name,
        )
    figures = Figures(bench.size, stages)
    text = render(figures)
    if "monthly" in stages:
        text += "\n\n### Monthly scenario: the next export, every layer again plus one new\n\n"
        text += "\n".join(monthly_table(figures))
    if "sensor_month" in stages:
        text += "\n\n### Monthly scenario from a drop, through the sensors (the month after)\n\n"
        text += "\n".join(sensor_table(stages["sensor_scan"], stages["sensor_month"]))
    if "edits" in stages:
        text += "\n\n### Bulk manual edits, passport_overview refreshed by triggers\n\n"
        text += render_edits(stages["edits"].result["edits"])
    info = {
        **machine(),
        "postgresql": server_version(env),
        "export": bench.command,
        "export MB": f"{bench.size / 1e6:,.0f}",
        "command": "make bench"
        + "".join(
            f" {k}={os.environ[k]}"
            for k in ("BENCH_PASSPORTS", "BENCH_LAYERS", "BENCH_DLT_LAYERS", "BENCH_SKIP", "BENCH_CHAIN")
            if os.environ.get(k)
        ),
    }
    print("\n## Machine\n" + "\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n" + text)
    out = DATA / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_bytes(
        orjson.dumps(
            {"machine": info, "stages": {k: asdict(v) for k, v in stages.items()}, "table": text},
            option=orjson.OPT_INDENT_2,
        )
    )
    print(f"\nbench: figures saved to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
