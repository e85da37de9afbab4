"""`strata layers`, `strata asof`, `strata changes`: reading what the layers did.

Each is one query (static SQL in sql/load/, SQL functions of migrations 0014 and 0015),
printed for people or, with ``--json``, for tools.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from pipelines.core.settings import Settings
from pipelines.db.connection import connect
from pipelines.db.setup import prepare
from pipelines.load.asof import record_asof
from pipelines.load.layer_changes import KINDS, LayerChanges, RowChange, layer_changes
from pipelines.load.layer_states import LayerState, layer_states
from pipelines.load.plan import layer_plan

JSON = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS


def show_layers(args: argparse.Namespace, settings: Settings) -> int:
    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        states = layer_states(conn)
        refused = {state.version for state in layer_plan(conn).refused}
    if args.json:
        print(orjson.dumps([s.as_dict() for s in states], option=JSON).decode())
        return 0
    if not states:
        print("no layers: register an export first (`strata register FILE` or `strata load FILE`)")
        return 0
    print(
        f"{'version':<8} {'state':<10} {'errors':>6} {'validated':<16} {'loaded':<16} {'rows written':>12}  file"
    )
    for s in states:
        print(
            f"{s.version:<8} {s.state:<10} {s.error_count:>6} {_when(s.validated_at):<16} "
            f"{_when(s.loaded_at):<16} {_count(s.rows_written):>12}  {s.source_file}{_notes(s, s.version in refused)}"
        )
    return 0


def show_asof(args: argparse.Namespace, settings: Settings) -> int:
    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        state = record_asof(conn, args.version, args.ext_id, args.entity)
    print(orjson.dumps(state, option=JSON).decode())
    return 0


def show_changes(args: argparse.Namespace, settings: Settings) -> int:
    urls, _ = prepare(settings)
    with connect(urls.strata) as conn:
        changes = layer_changes(conn, args.version)
    if args.json:
        print(orjson.dumps(changes.as_dict(), option=JSON).decode())
        return 0
    print(_changes_text(changes, args.limit))
    return 0


def _changes_text(changes: LayerChanges, limit: int) -> str:
    lines = [f"layer {changes.version}:" + ("" if changes.tables else " no writes")]
    for table, by_kind in changes.tables.items():
        counts = ", ".join(f"{len(by_kind.of(k)):,} {k}" for k in KINDS)
        lines.append(f"  {table}: {counts}")
        for kind in KINDS:
            rows = by_kind.of(kind)
            for row in rows[:limit]:
                lines.append(f"    {kind:<11} {_row_label(row)}{_row_detail(kind, row)}")
            if len(rows) > limit:
                lines.append(f"    … {len(rows) - limit:,} more {kind} (--limit, or --json for all)")
    return "\n".join(lines)


def _row_label(row: RowChange) -> str:
    return f"{row.ext_id or '-'} (id {row.row_id})"


def _row_detail(kind: str, row: RowChange) -> str:
    if row.columns:
        arrow = "manual {} → imported {}" if kind == "overwritten" else "{} → {}"
        return ": " + "; ".join(f"{c} " + arrow.format(_v(o), _v(n)) for c, (o, n) in row.columns.items())
    if row.ext_id is None and row.values:  # a link (crew): what it links
        return ": " + ", ".join(f"{c} {_v(v)}" for c, v in row.values.items() if v is not None)
    return ""


def _v(value: Any) -> str:
    return orjson.dumps(value).decode()


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _notes(s: LayerState, refused: bool = False) -> str:
    notes = []
    if s.errors_by_code:
        notes.append(", ".join(f"{code} {n}" for code, n in s.errors_by_code.items()))
    if s.newer_content:
        notes.append(f"other content in newer file {s.newest_file_id}")
    if refused:
        notes.append(
            "refused: older than the last loaded layer, never loads (README: a corrected older layer)"
        )
    return f"  ({'; '.join(notes)})" if notes else ""


def add_layer_read_commands(commands: argparse._SubParsersAction) -> None:
    layers_cmd = commands.add_parser(
        "layers", help="every known layer: state, errors, when validated and loaded, rows written, file"
    )
    layers_cmd.add_argument("--json", action="store_true")
    layers_cmd.set_defaults(handler=show_layers)

    asof_cmd = commands.add_parser(
        "asof", help="a passport or maintenance record as it stood right after a loaded layer, from history"
    )
    asof_cmd.add_argument("version", metavar="YYYY-MM")
    asof_cmd.add_argument("ext_id")
    kind = asof_cmd.add_mutually_exclusive_group()
    kind.add_argument("--passport", dest="entity", action="store_const", const="passport")
    kind.add_argument("--maintenance", dest="entity", action="store_const", const="maintenance")
    asof_cmd.set_defaults(handler=show_asof, entity=None)

    changes_cmd = commands.add_parser(
        "changes", help="what a loaded layer changed: rows created, updated, manual values overwritten"
    )
    changes_cmd.add_argument("version", metavar="YYYY-MM")
    changes_cmd.add_argument("--json", action="store_true", help="every change, as JSON")
    changes_cmd.add_argument("--limit", type=int, default=20, help="rows listed per table and kind (text)")
    changes_cmd.set_defaults(handler=show_changes)
