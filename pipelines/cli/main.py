"""The `strata` command: one place where the environment becomes settings.

Each sub-command is a small function around an engine call; errors Strata
understands are printed as one clear line (exit 2), never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pipelines.cli.layer_reads import add_layer_read_commands
from pipelines.cli.layers import add_layer_commands
from pipelines.cli.progress_view import terminal_progress
from pipelines.core.exceptions import StrataError
from pipelines.core.progress import Progress
from pipelines.core.settings import Settings
from pipelines.core.signals import stop_signals_interrupt
from pipelines.db import embedded
from pipelines.db.connection import connect
from pipelines.db.counts import format_counts, table_counts
from pipelines.db.setup import prepare

Handler = Callable[[argparse.Namespace, Settings], int]


def db_up(args: argparse.Namespace, settings: Settings) -> int:
    from assets.instance import write_instance_yaml

    urls, applied = prepare(settings)
    instance = write_instance_yaml(settings.home.dagster_home, urls.dagster)
    print(f"database ready: {urls.strata}")
    print(f"migrations applied: {', '.join(applied) if applied else 'none (schema current)'}")
    print(f"dagster instance: {instance.describe()}")
    return 0


def db_url(args: argparse.Namespace, settings: Settings) -> int:
    urls, _ = prepare(settings)
    print(urls.dagster if args.dagster else urls.strata)
    return 0


def db_down(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_url:
        print("DATABASE_URL is set: Strata does not stop an external server")
        return 0
    print("embedded server stopped" if embedded.stop(settings.home) else "embedded server was not running")
    return 0


def seed(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.read_models.passport_overview import rebuild_passport_overview
    from pipelines.seed.seeding import seed as seed_reference

    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        result = seed_reference(conn, Path(args.dir))
        with conn.transaction():  # seeded passports are passports too: the read model follows
            rebuild_passport_overview(conn)
    print(f"seeded from {args.dir}:")
    print(format_counts(result.inserted))
    return 0


def sample(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.sample.export import write_sample

    expected = write_sample(
        Path(args.out_dir),
        seed=args.seed,
        passports=args.passports,
        layers=args.layers,
        dirty=args.dirty,
        seven_zip=args.seven_zip,
        start=args.start,
    )
    reports = sum(layer["reports"] for layer in expected["layers"])
    print(f"wrote {args.out_dir}/export.json: {len(expected['layers'])} layers, {reports} reports")
    return 0


def status(args: argparse.Namespace, settings: Settings) -> int:
    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        print(f"database {urls.strata}")
        print(format_counts(table_counts(conn)))
    return 0


def register_file(args: argparse.Namespace, settings: Settings) -> int:
    from assets.launch import add_layer_partitions, prepare_launch
    from pipelines.intake.housekeeping import tidy_after_commit
    from pipelines.intake.registered_layers import file_layers
    from pipelines.intake.registration import register
    from pipelines.load.plan import layer_plan

    urls = prepare_launch(settings)
    with terminal_progress() as view, connect(urls.strata) as conn:
        registered = register(conn, Path(args.file), settings.home, progress=Progress(view))
        conn.commit()
        layers = file_layers(conn, registered.id)
        refused = {s.version: s.reason for s in layer_plan(conn).refused if s.file_id == registered.id}
    add_layer_partitions([layer.version for layer in layers])
    if (tidied := tidy_after_commit(lambda: connect(urls.strata), settings.home)).worth_saying:
        print(tidied.summary(), file=sys.stderr)
    print(f"registered {registered.name} as file {registered.id} (sha256 {registered.sha256[:12]}…)")
    for layer in layers:
        note = f"; REFUSED, will not load: {refused[layer.version]}" if layer.version in refused else ""
        print(f"  layer {layer.version}: {layer.reports:,} reports{note}")
    return 0


def files(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.intake.archive import get_file, list_files, on_disk

    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        if args.files_command == "get":
            print(f"wrote {get_file(conn, args.id, Path(args.dest))}")
            return 0
        summaries = list_files(conn)
    sizes = [on_disk(settings.home, f) for f in summaries]
    print(f"{'id':>4}  {'registered':<16}  {'fmt':<4} {'archive':>10}  {'working set':>11}  layers")
    for f, size in zip(summaries, sizes, strict=True):
        print(
            f"{f.id:>4}  {f.registered_at:%Y-%m-%d %H:%M}  {f.format:<4} {_mb(size.archive_bytes):>10}  "
            f"{_mb(size.working_bytes):>11}  {f.layers:>3} layers {f.first_layer or '-'}..{f.last_layer or '-'}  "
            f"{f.name}"
        )
    archive, working = sum(s.archive_bytes for s in sizes), sum(s.working_bytes for s in sizes)
    print(
        f"total: archive {_mb(archive)} in {len(summaries)} files, working set {_mb(working)} "
        "(spools and mapped rows: the newest copy of each layer and layers not loaded yet)"
    )
    return 0


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def billig_seed(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.billig.layout import dev_path
    from pipelines.billig.mirror import generate, write_sqlite
    from pipelines.billig.our_events import link_our_events

    path = Path(args.db).resolve() if args.db else dev_path(settings.home)
    data = generate(args.generation, events=args.events, seed=args.seed)
    counts = write_sqlite(path, data)
    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        linked = link_our_events(conn, data.our_events)
    print(f"wrote the billig mirror ({data.layout.event_table}) to {path}:")
    print(format_counts(counts))
    print(f"our events: {linked.linked} linked to billig written, {linked.unlinked} without billig added")
    if args.db:
        print(f"read it with BILLIG_URL=sqlite://{path} BILLIG_EVENT_TABLE={data.layout.event_table}")
    return 0


def billig_refresh(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.billig.layout import GENERATIONS
    from pipelines.billig.reader import open_reader
    from pipelines.billig.settings import BilligSettings
    from pipelines.read_models.event_sales import rebuild_event_sales

    config = BilligSettings.from_env().config(
        url=f"sqlite://{Path(args.db).resolve()}" if args.db else None,
        event_table=GENERATIONS[args.generation] if args.generation else None,
        home=settings.home,
    )
    urls, _ = prepare(settings)
    with connect(urls.strata) as conn, open_reader(config) as reader:
        synced = rebuild_event_sales(conn, reader)
    result, expected = synced.result, synced.expected
    print(
        f"event_sales from {config.layout.event_table}: {len(expected.rows)} rows "
        f"({result.inserted} inserted, {result.updated} updated, {result.deleted} deleted) "
        f"in {expected.billig_statements} billig statements"
    )
    if expected.missing_billig_ids:
        print(f"billig_ids billig does not know: {', '.join(map(str, expected.missing_billig_ids))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strata", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="the database server").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("up", help="start (embedded) and migrate; idempotent").set_defaults(handler=db_up)
    url = db.add_parser("url", help="print the database URL")
    url.add_argument("--dagster", action="store_true", help="Dagster's instance database instead")
    url.set_defaults(handler=db_url)
    db.add_parser("down", help="stop the embedded server").set_defaults(handler=db_down)

    seed_cmd = commands.add_parser("seed", help="load reference CSVs (profiles, enums, passports)")
    seed_cmd.add_argument("dir", help="folder holding profiles.csv, categories.csv, ...")
    seed_cmd.set_defaults(handler=seed)

    sample_cmd = commands.add_parser("sample", help="write a small export and reference data")
    sample_cmd.add_argument("out_dir")
    sample_cmd.add_argument("--seed", type=int, default=1)
    sample_cmd.add_argument("--passports", type=int, default=120)
    sample_cmd.add_argument("--layers", type=int, default=3)
    sample_cmd.add_argument(
        "--start", default="2026-01", metavar="YYYY-MM", help="version of the first layer"
    )
    sample_cmd.add_argument("--dirty", action="store_true", help="inject analyst errors")
    sample_cmd.add_argument("--7z", dest="seven_zip", action="store_true", help="also write export.7z")
    sample_cmd.set_defaults(handler=sample)

    register_cmd = commands.add_parser(
        "register", help="register an export (.json or .7z) and split its layers"
    )
    register_cmd.add_argument("file")
    register_cmd.set_defaults(handler=register_file)

    files_cmd = commands.add_parser("files", help="registered exports; `files get ID DEST` copies one back")
    files_cmd.set_defaults(handler=files, files_command="list")
    get_cmd = files_cmd.add_subparsers(dest="files_command").add_parser("get", help="copy an archived export")
    get_cmd.add_argument("id", type=int)
    get_cmd.add_argument("dest")

    billig = commands.add_parser("billig", help="the billig ticket database (read-only) and its read models")
    billig_commands = billig.add_subparsers(dest="billig_command", required=True)
    billig_seed_cmd = billig_commands.add_parser(
        "seed", help="build a development billig (SQLite), link our events"
    )
    billig_seed_cmd.add_argument(
        "--db", help="SQLite file to write (default STRATA_HOME/billig/billig.sqlite3)"
    )
    billig_seed_cmd.add_argument(
        "--generation",
        choices=("old", "new"),
        default="new",
        help="old: billig.event; new: billig.event_lim_web with purchases and tickets",
    )
    billig_seed_cmd.add_argument("--events", type=int, default=40)
    billig_seed_cmd.add_argument("--seed", type=int, default=1)
    billig_seed_cmd.set_defaults(handler=billig_seed)
    billig_refresh_cmd = billig_commands.add_parser("refresh", help="refresh event_sales from billig now")
    billig_refresh_cmd.add_argument(
        "--db", help="a SQLite billig (default BILLIG_URL, else the development mirror)"
    )
    billig_refresh_cmd.add_argument(
        "--generation",
        choices=("old", "new"),
        help="billig's schema generation (default BILLIG_EVENT_TABLE, else new)",
    )
    billig_refresh_cmd.set_defaults(handler=billig_refresh)

    add_layer_commands(commands)
    add_layer_read_commands(commands)
    commands.add_parser("status", help="row counts of Strata's tables").set_defaults(handler=status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    with stop_signals_interrupt() as stopping:  # SIGTERM takes Ctrl-C's path (pipelines.core.signals)
        try:
            return handler(args, Settings.from_env())
        except StrataError as exc:
            print(f"strata: {exc}", file=sys.stderr)
            return 2
        except BaseException as exc:
            # Ctrl-C or SIGTERM as KeyboardInterrupt, or as the interrupt error Dagster raises
            # when the signal lands in its own code (a resource's teardown, between steps)
            if not isinstance(exc, KeyboardInterrupt) and not stopping.signalled():
                raise
            print(
                f"strata: stopped by {stopping.name()}: an open transaction was rolled back and the "
                "run ended as failed; run the same command again to go on",
                file=sys.stderr,
            )
            return stopping.exit_code()


if __name__ == "__main__":
    sys.exit(main())
