"""Progress of a layer's validation (reports of the layer) and of its load (steps of the transaction)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pipelines.contract.declarations import ENTITIES
from pipelines.core.progress import Progress
from pipelines.core.settings import StrataHome
from pipelines.intake.registration import register
from pipelines.load.transaction import load_layer, step_count
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation import spool_pass
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.progress_helpers import Collected, assert_monotone_to_100


def test_validation_and_load_report_monotone_progress_to_100(
    conn: psycopg.Connection, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(spool_pass, "PROGRESS_EVERY", 15)  # look at the clock every 16 reports
    expected = write_sample(tmp_path / "s", seed=3, passports=200, layers=1)
    seed(conn, tmp_path / "s" / "reference")
    register(conn, tmp_path / "s" / "export.json", StrataHome(tmp_path / "home"))
    conn.commit()
    [layer] = expected["layers"]
    events = Collected()
    result = validate_registered(
        conn, registered_layer(conn, layer["version"]), progress=Progress(events.every)
    )
    conn.commit()
    assert result.valid
    validation = assert_monotone_to_100(events.of("validate", f"layer {layer['version']}"))
    assert validation[0].total == validation[-1].done == layer["reports"] and validation[-1].unit == "reports"
    assert len({e.done for e in validation}) > 10
    assert validation[-1].note == "0 analyst errors"

    load_layer(conn, layer["version"], after_load=lambda c, r: None, progress=Progress(events.every))
    load = assert_monotone_to_100(events.of("load", f"layer {layer['version']}"))
    steps = step_count(ENTITIES, after_load=True)
    assert load[-1].done == load[0].total == steps and load[-1].unit == "steps"
    assert {e.done for e in load} == set(range(steps + 1))  # every step counted once, none skipped
    notes = [e.note for e in load]
    assert "copying passport" in " ".join(notes) and "writing passport" in notes
    assert "refreshing read models" in notes and load[-1].note.endswith("rows written")
