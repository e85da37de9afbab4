"""`strata load`, `strata errors`: the layer commands that write or validate.

`strata load` runs the same assets and checks as the UI through ``assets.launch`` (the only
Dagster this package reaches), in process, so every run shows in the UI.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import psycopg

from pipelines.cli.progress_view import terminal_progress
from pipelines.core.progress import Every, Progress, attached
from pipelines.core.settings import Settings
from pipelines.core.signals import check_stop
from pipelines.db.connection import DatabaseUrls, connect
from pipelines.db.setup import prepare
from pipelines.intake.registered_layers import file_layers, last_loaded, newest_layer
from pipelines.load.overlap import validate_while_loading, validation_worker
from pipelines.load.plan import layer_plan

if TYPE_CHECKING:
    from assets.launch import LoadedRun, ValidatedRun


def _reports(conn: psycopg.Connection, version: str) -> int:
    layer = newest_layer(conn, version)
    return layer.reports if layer else 0


def load_export(args: argparse.Namespace, settings: Settings) -> int:
    from assets.launch import prepare_launch

    urls = prepare_launch(settings)
    with terminal_progress() as view, attached(view):
        return _load(args, settings, urls, view)


def _load(args: argparse.Namespace, settings: Settings, urls: DatabaseUrls, view: Every) -> int:
    from assets.launch import add_layer_partitions, end_dead_runs_here, layer_loader, validate_run
    from pipelines.intake.housekeeping import tidy_after_commit
    from pipelines.intake.registration import register

    for line in end_dead_runs_here():  # before anything launches: a dead run's slot blocks loads
        print(line)
    validate = partial(validate_run, settings.database_url, str(settings.home.root))
    # the worker spawns and imports Dagster while the split runs, not after it
    with validation_worker(view, warm=validate) as worker:
        with connect(urls.strata) as conn:
            registered = register(
                conn, Path(args.export), settings.home, reuse=True, progress=Progress.watched()
            )
            conn.commit()
            layers = [
                layer
                for layer in file_layers(conn, registered.id)
                if not args.through or layer.version <= args.through
            ]
            plan = layer_plan(conn)
            # every pending layer, oldest first, whichever export registered it: they load in this order
            pending_states = [s for s in plan.pending if not args.through or s.version <= args.through]
            reports = {s.version: _reports(conn, s.version) for s in pending_states}
        add_layer_partitions([state.version for state in plan.states])
        if (tidied := tidy_after_commit(lambda: connect(urls.strata), settings.home)).worth_saying:
            print(tidied.summary(), file=sys.stderr)
        print(
            f"{'reusing' if registered.reused else 'registered'} {registered.name} as file {registered.id}: "
            f"{len(layers)} layers"
        )
        versions = {layer.version for layer in layers}
        for layer in layers:
            if layer.loaded:
                print(f"  {layer.version}: loaded already with this content, skipped")
        for state in plan.refused:
            if state.version in versions:
                print(f"  {state.version}: REFUSED, not loaded: {state.reason}")
        blocked: list[str] = []
        with layer_loader(settings) as run_load:

            def load_run(version: str, validated: ValidatedRun) -> LoadedRun:
                loaded = run_load(version, validated)
                check_stop()  # a signal during the run ended it as failed: stop here, not at the next layer
                return loaded

            # every layer is validated (analysts see every error at once); each loads once it and
            # all before it are valid, while the next one validates (pipelines/load/overlap.py)
            for outcome in validate_while_loading(
                list(reports), validate, lambda v: v.passed, load_run, lambda run: run.success, worker=worker
            ):
                version, validated, run = outcome.version, outcome.validated, outcome.loaded
                if not validated.passed:
                    blocked.append(version)
                    print(
                        f"  {version}: BLOCKED, {validated.errors} analyst errors "
                        f"(see {validated.where} or `strata errors {version}`)"
                    )
                elif run is None:
                    print(
                        f"  {version}: {reports[version]:,} reports valid, not loaded: an earlier layer is blocked"
                    )
                elif not run.success:
                    blocked.append(version)
                    print(f"  {version}: load FAILED ({reports[version]:,} reports valid): {run.failure}")
                else:
                    print(
                        f"  {version}: loaded, {reports[version]:,} reports valid, {run.writes:,} rows "
                        f"written, {run.overwritten} manual values overwritten"
                    )
    with connect(urls.strata) as conn:
        loaded_now = last_loaded(conn)
    print(
        f"loaded through {loaded_now or 'nothing'}" + (f"; blocked: {', '.join(blocked)}" if blocked else "")
    )
    return 1 if blocked else 0


def show_errors(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.validation.outcome_store import errors_for

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


def add_layer_commands(commands: argparse._SubParsersAction) -> None:
    load_cmd = commands.add_parser("load", help="register an export and validate + load its layers in order")
    load_cmd.add_argument("export")
    load_cmd.add_argument("--through", metavar="YYYY-MM", help="load no layer after this one")
    load_cmd.set_defaults(handler=load_export)
    errors_cmd = commands.add_parser("errors", help="a layer's analyst errors")
    errors_cmd.add_argument("version", metavar="YYYY-MM")
    errors_cmd.add_argument("--json", action="store_true")
    errors_cmd.set_defaults(handler=show_errors)
