"""`strata load`, `strata errors`, `strata asof`: the layer commands.

`strata load` is the CLI's launch code: it runs the same assets and checks as the UI,
in process, on the Dagster instance under STRATA_HOME, so every run shows in the UI.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import orjson

from pipelines.bootstrap import prepare
from pipelines.database import connect
from pipelines.layer_pipeline import validate_while_loading
from pipelines.settings import Settings
from pipelines.sql_files import load

# The runs' events all go to the Dagster instance (the UI shows them); the terminal gets
# Strata's one line per layer instead of Dagster's step logs and stack traces.
QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
FILE_LAYERS = """
SELECT l.version, l.reports, l.sha256, r.loaded_at IS NOT NULL AND r.content_sha256 = l.sha256
FROM loader_file_layer l LEFT JOIN loader_report r ON r.version = l.version
WHERE l.file_id = %s ORDER BY l.version"""


def load_export(args: argparse.Namespace, settings: Settings) -> int:
    from dagster import DagsterInstance, materialize

    from assets.loaded_layer import loaded_layer
    from assets.raw_layer import raw_layer
    from pipelines.file_registry import register
    from resources.database import DatabaseResource

    urls, _ = prepare(settings)
    os.environ["DAGSTER_HOME"] = str(settings.home.dagster_home)
    with connect(urls.strata) as conn:
        registered = register(conn, Path(args.export), settings.home, reuse=True)
        layers = [row for row in conn.execute(FILE_LAYERS, (registered.id,)) if not args.through or row[0] <= args.through]
    print(f"{'reusing' if registered.reused else 'registered'} {registered.name} as file {registered.id}: "
          f"{len(layers)} layers")
    resources = {"database": DatabaseResource(database_url=settings.database_url, strata_home=str(settings.home.root))}
    pending = [(version, reports) for version, reports, _, loaded in layers if not loaded]
    for version, reports, _, loaded in layers:
        if loaded:
            print(f"  {version}: loaded already with this content, skipped")
    blocked: list[str] = []
    versions, reports = [version for version, _ in pending], dict(pending)
    validate = partial(_validate_run, settings.database_url, str(settings.home.root))
    with DagsterInstance.get() as instance:
        def load_run(version: str, _validated: ValidatedRun):
            return materialize([raw_layer, loaded_layer], selection=[loaded_layer], partition_key=version,
                               instance=instance, resources=resources, raise_on_error=False, run_config=QUIET_RUN)

        # every layer is validated (analysts see every error at once); each loads once it and
        # all before it are valid, while the next one validates (pipelines/layer_pipeline.py)
        for outcome in validate_while_loading(versions, validate, lambda v: v.passed, load_run,
                                              lambda run: run.success):
            version, validated, run = outcome.version, outcome.validated, outcome.loaded
            if not validated.passed:
                blocked.append(version)
                print(f"  {version}: BLOCKED, {validated.errors} analyst errors "
                      f"(see {validated.where} or `strata errors {version}`)")
            elif run is None:
                print(f"  {version}: {reports[version]:,} reports valid, not loaded: an earlier layer is blocked")
            elif not run.success:
                blocked.append(version)
                print(f"  {version}: load FAILED ({reports[version]:,} reports valid): {_failure(run)}")
            else:
                meta = run.asset_materializations_for_node("loaded_layer")[0].metadata
                print(f"  {version}: loaded, {reports[version]:,} reports valid, {meta['writes'].value:,} rows "
                      f"written, {meta['overwritten_manual_values'].value} manual values overwritten")
    with connect(urls.strata) as conn:
        loaded_now = conn.execute("SELECT max(version) FROM loader_report WHERE loaded_at IS NOT NULL").fetchone()[0]
    print(f"loaded through {loaded_now or 'nothing'}" + (f"; blocked: {', '.join(blocked)}" if blocked else ""))
    return 1 if blocked else 0


@dataclass(frozen=True)
class ValidatedRun:
    """What the validation worker reports of one raw_layer run (picklable, small)."""

    passed: bool
    errors: object
    where: object


def _validate_run(database_url: str | None, strata_home: str, version: str) -> ValidatedRun:
    """One raw_layer run (validation + blocking check) in the worker process."""
    from dagster import DagsterInstance, materialize

    from assets.loaded_layer import loaded_layer
    from assets.raw_layer import raw_layer
    from resources.database import DatabaseResource

    resources = {"database": DatabaseResource(database_url=database_url, strata_home=strata_home)}
    with DagsterInstance.get() as instance:
        run = materialize([raw_layer, loaded_layer], selection=[raw_layer], partition_key=version,
                          instance=instance, resources=resources, raise_on_error=False, run_config=QUIET_RUN)
    check = next((e for e in run.get_asset_check_evaluations() if e.check_name == "layer_is_valid"), None)
    if check is None:
        return ValidatedRun(False, "?", f"the run's log ({_failure(run)})")
    meta = {k: v.value for k, v in check.metadata.items()}
    return ValidatedRun(run.success and check.passed, meta.get("errors", "?"), meta.get("errors_csv", "the run's log"))


def _failure(run) -> str:
    events = run.get_step_failure_events()
    return events[0].event_specific_data.error.message.strip() if events else "see the run's log"


def show_errors(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.error_store import errors_for

    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        errors = errors_for(conn, args.version)
    if args.json:
        print(orjson.dumps([e.as_dict() for e in errors], option=orjson.OPT_INDENT_2).decode())
        return 0
    print(f"layer {args.version}: {len(errors)} analyst errors")
    for e in errors:
        print(f"  {e.code:<19} {e.entity:<12} {e.ext_id or '-':<22} {e.field:<16} {e.value!r}: {e.message}")
    return 0


def asof(args: argparse.Namespace, settings: Settings) -> int:
    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        known, state = conn.execute(load("load/asof"), {"version": args.version, "ext_id": args.ext_id}).fetchone()
    if not known:
        print(f"strata: layer {args.version} was never loaded")
        return 2
    if state is None:
        print(f"strata: passport {args.ext_id} did not exist after layer {args.version}")
        return 2
    print(orjson.dumps(state, option=orjson.OPT_INDENT_2).decode())
    return 0


def add_layer_commands(commands: argparse._SubParsersAction) -> None:
    load_cmd = commands.add_parser("load", help="register an export and validate + load its layers in order")
    load_cmd.add_argument("export")
    load_cmd.add_argument("--through", metavar="YYYY-MM", help="load no layer after this one")
    load_cmd.set_defaults(handler=load_export)
    errors_cmd = commands.add_parser("errors", help="a layer's analyst errors")
    errors_cmd.add_argument("version", metavar="YYYY-MM")
    errors_cmd.add_argument("--json", action="store_true")
    errors_cmd.set_defaults(handler=show_errors)
    asof_cmd = commands.add_parser("asof", help="a passport as it stood after a loaded layer, from history")
    asof_cmd.add_argument("version", metavar="YYYY-MM")
    asof_cmd.add_argument("ext_id")
    asof_cmd.set_defaults(handler=asof)
