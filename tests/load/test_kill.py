"""SIGKILL of the loading process mid-transaction: the database is as before, and a rerun succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg

from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.db.counts import table_counts
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.load_checks import assert_final_state, load_export
from tests.support.paths import REPO

# The child loads the layer, but pauses inside the load transaction after the upserts
# (after_load), so the kill lands mid-transaction, every time.
CHILD = textwrap.dedent("""
    import sys, time
    import psycopg
    from pipelines.load.transaction import load_layer
    conn = psycopg.connect(sys.argv[1])
    def pause(c, result):
        print("inside", result.writes, flush=True)
        time.sleep(60)
    load_layer(conn, sys.argv[2], after_load=pause)
""")
TABLES = (
    "passport",
    "maintenance",
    "maintenance_crew",
    "measurement",
    "sign",
    "passport_history",
    "loader_overwrite",
    "loader_load",
)


def test_sigkill_mid_load_leaves_the_database_as_before(
    conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    expected = write_sample(tmp_path / "s", seed=4, passports=100, layers=2)
    seed(conn, tmp_path / "s" / "reference")
    home = StrataHome(tmp_path / "home").ensure()
    first, second = (layer["version"] for layer in expected["layers"])
    load_export(conn, tmp_path / "s" / "export.json", home, through=first)
    assert validate_registered(conn, registered_layer(conn, second)).valid
    conn.commit()
    before = table_counts(conn, TABLES)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, second], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None  # stdout=PIPE
    line = child.stdout.readline()
    assert line.startswith("inside") and int(line.split()[1]) > 0  # it had written rows
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    deadline = time.monotonic() + 10
    while (
        one_row(
            conn,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()",
        )[0]
        and time.monotonic() < deadline
    ):
        conn.commit()
        time.sleep(0.1)  # the server notices the dead client and rolls its transaction back
    conn.commit()
    assert table_counts(conn, TABLES) == before
    assert conn.execute("SELECT loaded_at FROM loader_report WHERE version = %s", (second,)).fetchone() == (
        None,
    )
    load_export(conn, tmp_path / "s" / "export.json", home)
    assert_final_state(conn, expected)
