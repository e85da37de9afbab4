"""The bench's table and ratios, printed as Markdown (BENCHMARKS.md quotes it as printed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.child import StageRun
from bench.sensor_month import ratio as sensor_ratio

THREE_GB = 3e9
SENSOR = "sensor month (drop → loaded − settle wait) / (its scan limit + new layer validate + load)"
TARGETS = {
    "end to end / COPY limit": (0.5, "≥"),
    "Strata / dlt merge": (5.0, "≥"),
    "first load / reload": (10.0, "≥"),
    "projected 3 GB, minutes": (10.0, "<"),
    "max peak RSS of a stage, MB": (1024.0, "<"),
    "monthly / (scan limit + new layer validate + load)": (1.10, "≤"),
    SENSOR: (1.10, "≤"),
}


@dataclass(frozen=True)
class Figures:
    """Every measured stage of one run, by name."""

    bytes: int
    stages: dict[str, StageRun]

    def layers(self, name: str) -> list[dict[str, Any]]:
        return self.stages[name].result.get("layers", []) if name in self.stages else []

    def total(self, name: str, key: str) -> float:
        return sum(layer.get(key, 0) for layer in self.layers(name))


OVERLAP = {"validate": "; worker process, while loads run", "load": "; while the next layer validates"}


def end_to_end_seconds(f: Figures) -> float:
    """Wall seconds of the split plus the overlapped validate-and-load stage."""
    return f.stages["split"].wall + f.stages["overlapped"].wall


def overlapped_rss(f: Figures) -> float:
    """Validation worker and loading process run at once: their peaks added (an upper bound)."""
    return f.stages["validate"].peak_rss_mb + f.stages["load"].peak_rss_mb


def _rate(n: float, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "–"


def stage_table(f: Figures) -> list[str]:
    rows = f.total("load", "rows")
    split = f.stages["split"]
    split_line = (
        f"| split (register: hash + archive copy + split) | {split.wall:.1f} | "
        f"{f.bytes / 1e6 / split.result['split_seconds']:.1f} MB/s split alone "
        f"({split.result['split_seconds']:.1f} s), {f.bytes / 1e6 / split.wall:.1f} MB/s with registering | "
        f"{split.peak_rss_mb:.0f} |"
    )
    out = ["| stage | wall s | throughput | peak RSS MB |", "|---|---:|---|---:|", split_line]
    for name, unit, key in (("validate", "reports/s", "reports"), ("load", "rows/s", "rows")):
        run = f.stages[name]
        out.append(
            f"| {name} ({len(f.layers(name))} layers{OVERLAP[name]}) | {run.wall:.1f} | "
            f"{_rate(f.total(name, key), f.total(name, 'seconds'))} {unit} | {run.peak_rss_mb:.0f} |"
        )
    e2e = end_to_end_seconds(f)
    out.append(
        f"| **Strata end to end** (split, then validate and load overlapped) | {e2e:.1f} | {_rate(rows, e2e)} rows/s ({rows:,} rows) | "
        f"{max(f.stages['split'].peak_rss_mb, overlapped_rss(f)):.0f} (both processes) |"
    )
    for name, label in (
        ("reload", "reload: `strata load` of the same export again"),
        ("copy", "practical limit: plain COPY, same rows and indexes"),
        ("dlt", "peer: dlt merge on passport id"),
    ):
        if name in f.stages:
            run = f.stages[name]
            n = f.total(name, "rows")
            detail = (
                f"{_rate(n, f.total(name, 'seconds'))} rows/s ({n:,} rows, {len(f.layers(name))} layers)"
                if n
                else "0 writes"
            )
            out.append(f"| {label} | {run.wall:.1f} | {detail} | {run.peak_rss_mb:.0f} |")
    return out


def layer_table(f: Figures) -> list[str]:
    out = [
        "| layer | reports | validate s | reports/s | rows | left out | load s | load rows/s | writes | COPY rows/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    copies = {c["version"]: c for c in f.layers("copy")}
    for v, ld in zip(f.layers("validate"), f.layers("load"), strict=False):
        c = copies.get(v["version"], {})
        out.append(
            f"| {v['version']} | {v['reports']:,} | {v['seconds']:.1f} | {_rate(v['reports'], v['seconds'])} | "
            f"{ld['rows']:,} | {ld.get('left_out', 0):,} | {ld['seconds']:.1f} | {_rate(ld['rows'], ld['seconds'])} | "
            f"{ld['writes']:,} | "
            f"{_rate(c.get('rows', 0), c.get('seconds', 0))} |"
        )
    return out


def dagster_table(f: Figures) -> list[str]:
    engine, dag = f.layers("engine_last"), f.layers("dagster_last")
    if not engine or not dag:
        return []
    out = [
        "| same layer(s), validate + load again (0 writes) | validate s | load s | total s | process wall s |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, name, layers in (
        ("engine directly", "engine_last", engine),
        ("Dagster materialize()", "dagster_last", dag),
    ):
        v, ld = sum(x["seconds"] for x in layers), sum(x["load_seconds"] for x in layers)
        out.append(f"| {label} | {v:.2f} | {ld:.2f} | {v + ld:.2f} | {f.stages[name].wall:.1f} |")
    imported = f.stages["dagster_last"].result.get("import_seconds", 0.0)
    out.append(
        f"\n(The Dagster process wall includes {imported:.1f} s of importing Dagster and the definitions.)"
    )
    return out


def ratios(f: Figures) -> dict[str, float]:
    rows = f.total("load", "rows")
    e2e = end_to_end_seconds(f)
    strata_rate = rows / e2e
    out = {"strata end to end rows/s": strata_rate}
    if "copy" in f.stages:
        out["end to end / COPY limit"] = strata_rate / (f.total("copy", "rows") / f.total("copy", "seconds"))
    if "dlt" in f.stages:
        out["Strata / dlt merge"] = strata_rate / (f.total("dlt", "rows") / f.total("dlt", "seconds"))
    if "reload" in f.stages:
        out["first load / reload"] = e2e / f.stages["reload"].wall
    out["projected 3 GB, minutes"] = THREE_GB / (f.bytes / e2e) / 60
    out["max peak RSS of a stage, MB"] = max(
        overlapped_rss(f), *(run.peak_rss_mb for run in f.stages.values() if run.name != "dlt")
    )
    if "monthly" in f.stages:
        out["monthly / (scan limit + new layer validate + load)"] = f.stages["monthly"].wall / monthly_parts(
            f
        )
    if "sensor_month" in f.stages:
        out[SENSOR] = sensor_ratio(f.stages["sensor_scan"], f.stages["sensor_month"])
    out["overlap saved, s (validate + load − overlapped wall)"] = (
        f.stages["validate"].wall + f.stages["load"].wall - f.stages["overlapped"].wall
    )
    return out


def monthly_parts(f: Figures) -> float:
    """The monthly run's floor: the scan limit plus the new layer's own validate and load runs."""
    runs = f.stages["monthly"].result["runs"]
    return f.stages["scan"].result["seconds"] + runs["validate"] + runs["load"]


def monthly_table(f: Figures) -> list[str]:
    """The monthly `strata load` next to its parts, all measured in the same run."""
    run, scan = f.stages["monthly"], f.stages["scan"]
    r, mb = run.result, scan.result["bytes"] / 1e6
    parts = monthly_parts(f)
    rows = [
        (
            "scan limit: sha256 + streaming parse of the whole file, writing nothing",
            scan.result["seconds"],
            f"{mb / scan.result['seconds']:.1f} MB/s, {scan.result['reports']:,} reports",
        ),
        ("new layer validate (its raw_layer run)", r["runs"]["validate"], ", ".join(r["written"])),
        (
            "new layer load (its loaded_layer run)",
            r["runs"]["load"],
            f"{int(r['runs'].get('left_out', 0)):,} unchanged rows left out",
        ),
        ("**floor**: scan limit + new layer validate + load", parts, ""),
        ("`strata load NEXT_EXPORT`, process wall", run.wall, f"peak RSS {run.peak_rss_mb:.0f} MB"),
        ("… of which in `main()`", r["seconds"], ""),
        (
            "… of which registration",
            r.get("register_seconds", 0.0),
            f"{r['reused']} of {r['layers']} layers unchanged, nothing written for them",
        ),
        (
            "… … hash + archive copy",
            r.get("hash_and_archive_seconds", 0.0),
            f"{mb:,.0f} MB copied into the archive",
        ),
        (
            "… … split (parse, digest per layer, new layer written)",
            r.get("split_seconds", 0.0),
            f"{r['written_bytes'] / 1e6:,.1f} MB of spool written",
        ),
    ]
    if "reload" in f.stages:  # the same CLI with nothing to validate or load: its fixed cost
        fixed = f.stages["reload"].wall
        rows.append(
            (
                "`strata load` with nothing to do (the reload stage of this run)",
                fixed,
                "process start, Dagster, instance, registration reusing the file",
            )
        )
        rows.append(
            ("monthly wall − that − floor (worker start, runs' set-up, rest)", run.wall - fixed - parts, "")
        )
    out = ["| monthly run | s | detail |", "|---|---:|---|"]
    out += [f"| {label} | {seconds:.1f} | {detail} |" for label, seconds, detail in rows]
    out.append(f"\nmonthly wall / floor = {run.wall / parts:.2f} (target ≤ 1.10)")
    if "formats" in f.stages:
        fr = f.stages["formats"].result
        extra = fr["7z_seconds"] - fr["json_seconds"]
        out.append(
            f"\nThe same split from a .7z of the export ({fr['7z_bytes'] / 1e6:,.0f} MB, member streamed, nothing "
            f"extracted): {fr['7z_seconds']:.1f} s against {fr['json_seconds']:.1f} s from the .json "
            f"({fr['7z_reused']} and {fr['json_reused']} layers unchanged): +{extra:.1f} s, "
            f"{extra / run.wall:.0%} of the monthly run"
        )
    marks = ", ".join(f"{name} {at:.1f}" for name, at in r.get("timeline", []))
    out.append(f"\nTimeline of `main()`, seconds from its start: {marks}")
    return out


def ratio_table(values: dict[str, float]) -> list[str]:
    out = ["| ratio | value | target | holds |", "|---|---:|---|---|"]
    for name, value in values.items():
        target = TARGETS.get(name)
        if target is None:
            out.append(f"| {name} | {value:,.2f} | | |")
            continue
        bound, op = target
        holds = value >= bound if op == "≥" else value <= bound if op == "≤" else value < bound
        out.append(f"| {name} | {value:,.2f} | {op} {bound:g} | {'yes' if holds else '**no**'} |")
    return out


def render(f: Figures) -> str:
    parts = ["### Stages", *stage_table(f), "", "### Per layer", *layer_table(f), ""]
    dag = dagster_table(f)
    if dag:
        parts += ["### Dagster overhead", *dag, ""]
    parts += ["### Ratios and targets", *ratio_table(ratios(f))]
    return "\n".join(parts)
