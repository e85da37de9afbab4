"""Layers at a glance: each state a layer can be in, as `strata layers` reads it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import psycopg

from pipelines.load.layer_states import layer_state, layer_states
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.live_states import register_export, validate_and_load


def test_registered_validated_loaded_invalid_and_newer_content(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    clean = write_sample(tmp_path / "clean", seed=4, passports=60, layers=3)
    seed(conn, tmp_path / "clean" / "reference")
    first, second, third = register_export(conn, tmp_path / "clean" / "export.json", tmp_path / "home")
    states = layer_states(conn)
    assert [(s.version, s.state, s.error_count, s.file_id, s.file_name) for s in states] == [
        (v, "registered", 0, 1, "export.json") for v in (first, second, third)
    ]
    assert [s.reports for s in states] == [layer["reports"] for layer in clean["layers"]]
    assert all(s.validated_at is None and s.loaded_at is None and s.rows_written is None for s in states)

    loaded = validate_and_load(conn, first)
    assert validate_registered(conn, registered_layer(conn, second)).valid
    conn.commit()
    one, two, three = layer_states(conn)
    assert (one.state, two.state, three.state) == ("loaded", "validated", "registered")
    assert one.rows_written == loaded.writes > 0 and one.overwrites == 0
    assert one.validated_at is not None and one.loaded_at is not None and one.validated_at < one.loaded_at
    assert two.validated_at is not None and two.loaded_at is None and two.rows_written is None

    write_sample(tmp_path / "dirty", seed=9, passports=60, layers=3, dirty=True)  # other people too
    register_export(conn, tmp_path / "dirty" / "export.json", tmp_path / "home")
    outcome = validate_registered(conn, registered_layer(conn, third))
    assert not outcome.valid
    conn.commit()
    one, two, three = layer_states(conn)
    assert (one.state, one.file_id, one.newest_file_id, one.newer_content) == ("loaded", 1, 2, True)
    assert (two.state, two.file_id, two.newer_content) == ("validated", 1, True)
    assert (three.state, three.file_id, three.newer_content) == ("invalid", 2, False)
    assert three.error_count == len(outcome.errors) > 0
    assert three.errors_by_code == dict(Counter(e.code for e in outcome.errors))
    assert layer_state(conn, third) == three and layer_state(conn, "2030-01") is None
