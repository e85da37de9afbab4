"""What a layer changed, from history, against the difference of the tables around its load.

Nothing but the load writes between the two snapshots, so every row created, deleted or
updated (column by column) between them is the layer's, and nothing else may be listed.
The manual values it overwrote must be those the load itself recorded in loader_overwrite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.core.exceptions import TerminalError
from pipelines.load.layer_changes import layer_changes
from tests.support.layer_sequence import load_with_edits

OVERWRITTEN = """
SELECT table_name, row_id, column_name, old_value #>> '{}', new_value #>> '{}'
FROM layer_changes(%s) WHERE change = 'overwritten'"""
RECORDED = """
SELECT table_name, row_id, column_name, manual_value, imported_value
FROM loader_overwrite WHERE report_id = %s"""


def expected_changes(before: dict[str, dict[int, dict]], after: dict[str, dict[int, dict]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table in after:
        old, new = before[table], after[table]
        updated = {
            i: {c: (old[i].get(c), v) for c, v in new[i].items() if old[i].get(c) != v}
            for i in new.keys() & old.keys()
        }
        out[table] = {
            "created": {i: new[i] for i in new.keys() - old.keys()},
            "deleted": {i: old[i] for i in old.keys() - new.keys()},
            "updated": {i: cols for i, cols in updated.items() if cols},
        }
    return out


def test_layer_changes_are_the_difference_the_load_made(conn: psycopg.Connection, tmp_path: Path) -> None:
    run = load_with_edits(conn, tmp_path)
    kinds_seen: set[str] = set()
    for version, snap in run.snapshots.items():
        got = layer_changes(conn, version)
        wanted = expected_changes(snap.before, snap.after)
        for table, expected in wanted.items():
            changes = got.tables.get(table)
            listed = {
                "created": {r.row_id: r.values for r in changes.created} if changes else {},
                "deleted": {r.row_id: r.values for r in changes.deleted} if changes else {},
                "updated": {r.row_id: r.columns for r in changes.updated} if changes else {},
            }
            assert listed == expected, (version, table)
            kinds_seen |= {kind for kind, rows in expected.items() if rows}
        overwritten = set(conn.execute(OVERWRITTEN, (version,)).fetchall())
        assert overwritten == set(conn.execute(RECORDED, (snap.report_id,)).fetchall()), version
    assert kinds_seen == {"created", "deleted", "updated"}  # crew links a re-sent crew dropped

    second = layer_changes(conn, run.versions[1]).tables["passport"]
    [lost] = [r for r in second.overwritten if r.ext_id == run.edited["changed"]]
    assert lost.columns["region"][0] == "Edited by hand"
    assert (
        lost.columns["region"] == next(r for r in second.updated if r.ext_id == lost.ext_id).columns["region"]
    )
    as_json = layer_changes(conn, run.versions[1]).as_dict()
    [row] = [r for r in as_json["tables"]["passport"]["overwritten"] if r["ext_id"] == lost.ext_id]
    assert row["columns"]["region"]["old"] == "Edited by hand"


def test_a_layer_never_loaded_changed_nothing(conn: psycopg.Connection) -> None:
    with pytest.raises(TerminalError, match="layer 2031-05 was never loaded"):
        layer_changes(conn, "2031-05")
