"""As-of reads from history against the tables as they were right after each layer.

The sample is loaded layer by layer with edits by hand between the first and the second;
after each load every passport and maintenance record is read from the tables themselves
(tests/support/live_states.py). Afterwards, the as-of of each layer must give exactly those
records, measurements, crew and manual edits included, and nothing that came later.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.load.asof import AsOfNotFound, record_asof
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.intake_helpers import export_doc, report, write_json
from tests.support.layer_sequence import load_with_edits
from tests.support.live_states import maintenance_states, passport_states, register_export
from tests.support.read_model_support import REFERENCE

PASSPORTS_ASOF = "SELECT e, passport_asof(%s, e) - 'layer' FROM unnest(%s::text[]) e"
MAINTENANCE_ASOF = "SELECT e, maintenance_asof(%s, e) - 'layer' FROM unnest(%s::text[]) e"


def test_the_asof_of_every_layer_is_every_record_as_it_stood_right_after_it(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    run = load_with_edits(conn, tmp_path)
    last = run.snapshots[run.versions[-1]]
    everyone = sorted(last.passports)
    all_maintenance = sorted(last.maintenance)
    # after the last layer, the as-of is the current rows, for every passport and maintenance record
    assert last.passports == passport_states(conn) and last.maintenance == maintenance_states(conn)
    for version, snap in run.snapshots.items():
        passports: dict[str, dict | None] = dict(conn.execute(PASSPORTS_ASOF, (version, everyone)).fetchall())
        maintenance: dict[str, dict | None] = dict(
            conn.execute(MAINTENANCE_ASOF, (version, all_maintenance)).fetchall()
        )
        assert {k: v for k, v in passports.items() if v is not None} == snap.passports, version
        assert {k: v for k, v in maintenance.items() if v is not None} == snap.maintenance, version
    assert any(m["measurements"] for p in last.passports.values() for m in p["maintenance"])

    # the edits made by hand between the first and the second layer are in the second's as-of only
    first, second = run.versions[:2]
    kept, other, moved = run.edited["kept"], run.edited["other"], run.edited["moved"]
    before, after = (record_asof(conn, v, kept, "passport") for v in (first, second))
    assert after["passport"]["name"] == before["passport"]["name"] + " (by hand)"
    assert after["passport"]["auto_imported"] is False and before["passport"]["auto_imported"] is True
    assert after["passport"]["report_id"] == before["passport"]["report_id"]  # a manual write keeps it
    assert [s["condition"] for s in after["signs"] if s["ext_id"] is None] == ["drawn by hand"]
    assert moved in [m["ext_id"] for m in before["maintenance"]]
    assert moved not in [m["ext_id"] for m in after["maintenance"]]
    assert moved in [m["ext_id"] for m in record_asof(conn, second, other, "passport")["maintenance"]]
    cost = record_asof(conn, second, run.edited["costly"], "maintenance")["maintenance"]["cost"]
    assert cost == 4321.00
    assert (
        record_asof(conn, second, "HAND-M1")["maintenance"]["passport_id"]
        == (record_asof(conn, second, "HAND-1")["passport"]["id"])
    )
    with pytest.raises(AsOfNotFound, match="no passport or maintenance record HAND-1 existed right after"):
        record_asof(conn, first, "HAND-1")

    # an edit after the last layer is not in its as-of (the cut-off is when its load committed)
    conn.execute("UPDATE passport SET name = 'Renamed later' WHERE ext_id = %s", (kept,))
    conn.commit()
    state = record_asof(conn, run.versions[-1], kept, "passport")
    assert (
        state == {"layer": run.versions[-1], **last.passports[kept]}
        and state["passport"]["name"] != "Renamed later"
    )


def test_asof_says_which_layer_or_record_it_does_not_know(conn: psycopg.Connection) -> None:
    with pytest.raises(AsOfNotFound, match="layer 2030-01 was never loaded"):
        record_asof(conn, "2030-01", "P-1")
    conn.execute("INSERT INTO loader_report (version, status, loaded_at) VALUES ('2026-01', 'loaded', now())")
    conn.execute("INSERT INTO passport (ext_id, name) VALUES ('SAME', 'p')")
    conn.execute(
        "INSERT INTO repair_type (code, name) VALUES ('paint', 'Painting');"
        "INSERT INTO maintenance (ext_id, passport_id, date, repair_type_id) "
        "SELECT 'SAME', id, '2026-01-01', (SELECT id FROM repair_type) FROM passport"
    )
    conn.commit()
    conn.execute("UPDATE loader_report SET loaded_at = clock_timestamp()")  # a cut-off after the rows
    conn.commit()
    with pytest.raises(AsOfNotFound, match="pass --passport or --maintenance"):
        record_asof(conn, "2026-01", "SAME")
    assert record_asof(conn, "2026-01", "SAME", "passport")["passport"]["name"] == "p"
    assert record_asof(conn, "2026-01", "SAME", "maintenance")["maintenance"]["crew"] == []
    with pytest.raises(AsOfNotFound, match="maintenance NOPE did not exist right after layer 2026-01"):
        record_asof(conn, "2026-01", "NOPE", "maintenance")


def test_an_edit_committed_while_the_layer_loads_is_in_its_asof(
    conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    conn.execute(REFERENCE)
    conn.execute("INSERT INTO passport (ext_id, name) VALUES ('HAND', 'before the load')")
    conn.commit()
    doc = export_doc({"2026-01": [report("P-A")]})
    [version] = register_export(conn, write_json(tmp_path / "export.json", doc), tmp_path / "home")
    assert validate_registered(conn, registered_layer(conn, version)).valid
    conn.commit()

    def analyst_edits_meanwhile(_conn: psycopg.Connection, _result: LoadResult) -> None:
        with psycopg.connect(db_url, autocommit=True) as analyst:  # commits before the load does
            analyst.execute("UPDATE passport SET name = 'during the load' WHERE ext_id = 'HAND'")

    load_layer(conn, version, after_load=analyst_edits_meanwhile)
    # right after the layer loaded, the edit was there: the cut-off is when the load committed
    assert record_asof(conn, version, "HAND")["passport"]["name"] == "during the load"
    assert record_asof(conn, version, "P-A")["passport"]["auto_imported"] is True
