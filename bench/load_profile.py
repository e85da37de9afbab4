"""`python -m bench.load_profile`: where the first layer's load spends its time, per statement.

A fresh bench database (``bench.environment.fresh_env``), the export registered and its
first layer validated, then that layer loaded once as ``loaded_layer`` loads it (read model
refreshed in the same transaction), with every statement the load sends timed on the client
(COPYs included). With ``--explain`` the server's ``auto_explain`` also reports each
statement's plan with its trigger times (nested statements too: the history triggers'
INSERTs), so a statement's seconds can be split into its own work and its triggers'. The
timings of ``--explain`` are inflated by the per-node timing; use them for shares only.

``--layer N`` loads the layers before the N-th untimed and profiles the N-th (a layer of
updates rather than of new rows); ``--again`` then profiles the same layer loaded once more,
with nothing to write (what the load spends on rows it does not write; a re-materialization). BENCH_PASSPORTS / BENCH_LAYERS choose the export as for ``make bench``. Not part of
``make bench``: it answers "where does the time go", the bench answers "how fast".
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.dataset import ensure_export, requested
from bench.environment import fresh_env
from pipelines.db.connection import connect
from pipelines.intake import registration
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.read_models.passport_overview import refresh_passport_overview
from pipelines.validation.registered import registered_layer, validate_registered

LAYERS = "SELECT version FROM loader_file_layer WHERE file_id = %s ORDER BY version"
TRIGGER = re.compile(r"Trigger (\S+)(?: on \S+)?: time=([0-9.]+) calls=([0-9]+)")
EXPLAIN_SETTINGS = (
    "LOAD 'auto_explain'",
    "SET auto_explain.log_min_duration = 50",
    "SET auto_explain.log_analyze = on",
    "SET auto_explain.log_triggers = on",
    "SET auto_explain.log_nested_statements = on",
    "SET auto_explain.log_level = notice",
)


def _refresh(conn: psycopg.Connection, result: LoadResult) -> None:
    refresh_passport_overview(conn, result.touched_passports)  # as loaded_layer does


def _backend_cpu(conn: psycopg.Connection) -> float:
    """CPU seconds (user + system) of this connection's server process so far: on a shared
    machine less noisy than wall time. Read from /proc: the server must run on this machine."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _label(query: Any, conn: psycopg.Connection) -> str:
    text = query.as_string(conn) if hasattr(query, "as_string") else str(query)
    return " ".join(text.split())[:110]


@contextmanager
def _timed(conn: psycopg.Connection, seconds: dict[str, float]) -> Iterator[None]:
    """Every Cursor.execute and Cursor.copy in this process, timed by its statement's text."""
    original_execute, original_copy = psycopg.Cursor.execute, psycopg.Cursor.copy

    def execute(self: psycopg.Cursor, query: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_execute(self, query, *args, **kwargs)
        finally:
            seconds[_label(query, conn)] += time.perf_counter() - started

    @contextmanager
    def copy(self: psycopg.Cursor, statement: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        started = time.perf_counter()
        try:
            with original_copy(self, statement, *args, **kwargs) as c:
                yield c
        finally:
            seconds[_label(statement, conn)] += time.perf_counter() - started

    psycopg.Cursor.execute = execute  # type: ignore[method-assign,assignment]
    psycopg.Cursor.copy = copy  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        psycopg.Cursor.execute = original_execute  # type: ignore[method-assign]
        psycopg.Cursor.copy = original_copy  # type: ignore[method-assign]


@dataclass
class Profile:
    loaded: LoadResult
    seconds: dict[str, float]  # per statement text
    total: float
    cpu: float  # the server backend's CPU seconds
    temp_buffers: str
    notices: list[str]

    @property
    def rows(self) -> int:
        return sum(c.staged for c in self.loaded.tables.values())


def _profiled_load(url: str, version: str, explain: bool) -> Profile:
    """Load ``version`` once as loaded_layer does, every statement timed."""
    notices: list[str] = []
    seconds: dict[str, float] = defaultdict(float)
    with connect(url) as conn:
        if explain:
            conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
            for statement in EXPLAIN_SETTINGS:
                conn.execute(statement)
            conn.commit()
        buffers = str(conn.execute("SHOW temp_buffers").fetchone()[0])  # type: ignore[index]
        backend = _backend_cpu(conn)
        conn.commit()
        started = time.perf_counter()
        with _timed(conn, seconds):
            loaded = load_layer(conn, version, after_load=_refresh)
        total = time.perf_counter() - started
        cpu = _backend_cpu(conn) - backend
    return Profile(loaded, seconds, total, cpu, buffers, notices)


def _print_profile(profile: Profile, top: int) -> None:
    print(
        f"load {profile.total:.2f} s, {profile.rows / profile.total:,.0f} rows/s; server backend CPU "
        f"{profile.cpu:.2f} s; temp_buffers {profile.temp_buffers}; key checks {profile.loaded.key_checks}\n"
    )
    print("| statement | s | share |\n|---|---:|---:|")
    for label, s in sorted(profile.seconds.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| `{label}` | {s:.2f} | {s / profile.total:.0%} |")
    if profile.notices:
        triggers: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        for message in profile.notices:
            for name, ms, calls in TRIGGER.findall(message):
                triggers[name][0] += float(ms) / 1000
                triggers[name][1] += int(calls)
        print("\n| trigger (auto_explain, top-level and nested) | s | calls |\n|---|---:|---:|")
        for name, (s, calls) in sorted(triggers.items(), key=lambda kv: -kv[1][0]):
            print(f"| {name} | {s:.2f} | {calls:,} |")
        print("\n".join(["", "auto_explain plans:", *profile.notices]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--explain", action="store_true", help="also auto_explain every statement")
    parser.add_argument("--layer", type=int, default=1, help="profile this layer (1 = the first)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--again", action="store_true", help="then load the same layer again (nothing to write)"
    )
    args = parser.parse_args()
    bench = ensure_export(*requested())
    env = fresh_env(bench)
    with connect(env.strata_url) as conn:
        registered = registration.register(conn, bench.export, env.settings().home, reuse=True)
        versions = [v for (v,) in conn.execute(LAYERS, (registered.id,))][: args.layer]
        validation: list[float] = []  # seconds per layer: the worker's share of a layer's time
        for version in versions:  # the earlier layers loaded untimed, the last one validated only
            result = validate_registered(conn, registered_layer(conn, version))
            validation.append(result.seconds)
            conn.commit()
            if version != versions[-1]:
                load_layer(conn, version, after_load=_refresh)
    profile = _profiled_load(env.strata_url, version, args.explain)
    print(
        f"layer {version}: {result.reports:,} reports, {profile.rows:,} rows, {profile.loaded.writes:,} writes"
    )
    shown = ", ".join(f"{s:.2f}" for s in validation)
    print(
        f"validation {validation[-1]:.2f} s (layers 1..{len(validation)}: {shown}; {sum(validation):.2f} s)"
    )
    _print_profile(profile, args.top)
    if args.again:  # the same layer again: every row unchanged, what its staging and checks cost alone
        again = _profiled_load(env.strata_url, version, args.explain)
        print(f"\nlayer {version} loaded again: {again.loaded.writes:,} writes")
        _print_profile(again, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
