"""The cost of keeping passport_overview true on bulk manual edits: bench/manual_edits.py run
small enough for the suite (`python -m bench.manual_edits` runs it on 100k rows). Prints the
figures, asserts what the edits did, never how long they took."""

from __future__ import annotations

import psycopg

from bench.manual_edits import fill, measure, render
from pipelines.read_models.passport_overview import passport_overview_drift

ROWS = 3000


def test_bulk_edits_refresh_every_affected_row_and_the_figures_are_printed(conn: psycopg.Connection) -> None:
    fill(conn, ROWS)
    conn.commit()
    assert passport_overview_drift(conn) == []  # the bulk inserts refreshed their rows
    before = conn.execute("SELECT * FROM passport_overview ORDER BY canonical_pk").fetchall()
    edits = measure(conn, ROWS, repeats=1)
    print("\n" + render(edits))
    assert [e["overview_rows_changed"] for e in edits] == [ROWS] * len(edits)
    assert [e["rows_written"] for e in edits] == [ROWS, ROWS, ROWS, 10]
    assert (
        conn.execute("SELECT * FROM passport_overview ORDER BY canonical_pk").fetchall() == before
    )  # rolled back
    conn.execute("UPDATE passport SET name = name || ' (bulk)'")
    assert passport_overview_drift(conn) == []
