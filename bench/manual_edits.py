"""What keeping passport_overview true costs a bulk manual edit (migration 0016's triggers).

Each edit is one statement, as an analyst would run it, timed twice in a transaction that is
rolled back: with the statement-level triggers that refresh the affected passport_overview
rows (how every manual write runs), and with those triggers disabled (the statement alone,
history triggers included both times). Figures, not assertions: the machine is shared.

    python -m bench.manual_edits [ROWS]   # default 100000: a scratch database on the bench's
                                          # server (bench-data/home, or DATABASE_URL's), filled
                                          # with ROWS synthetic passports, dropped afterwards
``make bench`` also runs ``bulk_edits`` as a stage on the loaded bench database.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from bench.environment import BenchEnv
from pipelines.db.connection import connect, one_row

SCRATCH = "strata_bench_edits"
OWN_TRIGGERS = """
SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE %s || '_passport_overview_%%'"""
CHANGED_ROWS = "SELECT count(*) FROM passport_overview WHERE synced_at = now()"
# label: (table whose triggers are measured, statement); %(rows)s caps the rows edited.
EDITS: dict[str, tuple[str, str]] = {
    "passport.name of N passports": (
        "passport",
        "UPDATE passport SET name = name || ' (edited)' "
        "WHERE id IN (SELECT id FROM passport ORDER BY id LIMIT %(rows)s)",
    ),
    "maintenance.cost of N records": (
        "maintenance",
        "UPDATE maintenance SET cost = coalesce(cost, 0) + 1 "
        "WHERE id IN (SELECT id FROM maintenance ORDER BY id LIMIT %(rows)s)",
    ),
    "N signs deleted": (
        "sign",
        "DELETE FROM sign WHERE id IN (SELECT id FROM sign ORDER BY id LIMIT %(rows)s)",
    ),
    "every category renamed": ("category", "UPDATE category SET name = name || ' *'"),
}
FILL = [
    "INSERT INTO category (code, name) SELECT 'c' || i, 'Category ' || i FROM generate_series(1, 10) i",
    "INSERT INTO profile (last_name, first_name) SELECT 'Last' || i, 'First' || i FROM generate_series(1, 500) i",
    "INSERT INTO repair_type (code, name) VALUES ('patching', 'Patching')",
    "INSERT INTO sign_code (code, name) VALUES ('1.25', 'Road works')",
    """INSERT INTO passport (ext_id, name, category_id, inspector_id)
       SELECT 'P-' || i, 'Passport ' || i, (SELECT min(id) FROM category) + mod(i, 10),
              (SELECT min(id) FROM profile) + mod(i, 500)
       FROM generate_series(1, %(rows)s) i""",
    """INSERT INTO maintenance (ext_id, passport_id, date, repair_type_id, cost)
       SELECT 'M-' || p.id || '-' || k, p.id, date '2020-01-01' + mod(p.id, 1000)::int + k,
              (SELECT id FROM repair_type), mod(p.id, 997) + k
       FROM passport p CROSS JOIN generate_series(1, 2) k""",
    """INSERT INTO sign (ext_id, passport_id, sign_code_id)
       SELECT 'S-' || p.id, p.id, (SELECT id FROM sign_code) FROM passport p""",
]


def measure(conn: psycopg.Connection, rows: int, repeats: int = 3) -> list[dict[str, Any]]:
    """Every edit with and without the refresh triggers, alternately, the fastest of ``repeats``
    each (the machine is shared); the database is left as it was."""
    results = []
    for label, (table, statement) in EDITS.items():
        figures: dict[str, Any] = {"edit": label.replace("N", f"{rows:,}")}
        best = {True: float("inf"), False: float("inf")}
        for _ in range(repeats):
            for refresh in (False, True):
                with conn.transaction(force_rollback=True), _triggers_off(conn, table, not refresh):
                    started = time.perf_counter()
                    written = conn.execute(statement, {"rows": rows}).rowcount
                    best[refresh] = min(best[refresh], time.perf_counter() - started)
                    if refresh:
                        figures["rows_written"] = written
                        figures["overview_rows_changed"] = int(one_row(conn, CHANGED_ROWS)[0])
        figures["with_refresh_s"] = round(best[True], 3)
        figures["statement_alone_s"] = round(best[False], 3)
        figures["refresh_s"] = round(best[True] - best[False], 3)
        results.append(figures)
    return results


def fill(conn: psycopg.Connection, rows: int) -> float:
    """ROWS passports (two maintenance records and a sign each); seconds, refreshes included."""
    started = time.perf_counter()
    with conn.transaction():
        for statement in FILL:
            conn.execute(statement, {"rows": rows})
    conn.execute("ANALYZE")
    return time.perf_counter() - started


def bulk_edits(args: dict[str, Any]) -> dict[str, Any]:
    """The bench stage: on the loaded bench database, up to 100k rows per edit."""
    env = BenchEnv(**args["env"])
    with connect(env.strata_url) as conn:
        return {"edits": measure(conn, int(args.get("rows", 100_000)))}


def render(edits: list[dict[str, Any]]) -> str:
    lines = [
        "| edit (one statement) | rows written | passport_overview rows changed | with refresh s | "
        "statement alone s | refresh s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for e in edits:
        lines.append(
            f"| {e['edit']} | {e['rows_written']:,} | {e['overview_rows_changed']:,} | {e['with_refresh_s']:.2f} | "
            f"{e['statement_alone_s']:.2f} | {e['refresh_s']:.2f} |"
        )
    return "\n".join(lines)


@contextmanager
def _triggers_off(conn: psycopg.Connection, table: str, off: bool) -> Iterator[None]:
    """Inside the caller's (rolled-back) transaction: the table's refresh triggers disabled."""
    if off:
        for (name,) in conn.execute(OWN_TRIGGERS, (table, table)).fetchall():
            conn.execute(
                sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
    yield


def main(argv: list[str]) -> int:
    from bench.environment import HOME
    from pipelines.core.settings import Settings, StrataHome
    from pipelines.db.connection import ensure_database, resolve
    from pipelines.db.migrations import migrate
    from pipelines.db.urls import with_database

    rows = int(argv[0]) if argv else 100_000
    external = os.environ.get("DATABASE_URL")
    urls = resolve(Settings(home=StrataHome(HOME), database_url=external))
    url = with_database(urls.strata, SCRATCH)
    admin = with_database(urls.strata, "postgres")
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SCRATCH))
    with connect(admin, autocommit=True) as conn:
        conn.execute(drop)
    ensure_database(url)
    try:
        with connect(url) as conn:
            migrate(conn)
            print(f"bench: {rows:,} synthetic passports ...", flush=True)
            print(f"bench: filled in {fill(conn, rows):.1f} s (the inserts' own refreshes included)")
            print(render(measure(conn, rows)))
    finally:
        with connect(admin, autocommit=True) as conn:
            conn.execute(drop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
