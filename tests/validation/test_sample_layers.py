"""Acceptance on the project's own sample generator (always runs): every injected error is
found exactly, a clean sample has none, and the mapped rows count what expected.json says."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.sample.export import write_sample
from pipelines.validation.outcome_store import errors_for
from tests.support.validation_helpers import csv_rows, keys, truth_keys, validate_all

COUNTED = {
    "passport": "reports",
    "maintenance": "maintenance",
    "measurement": "measurements",
    "sign": "signs",
    "maintenance_crew": "crew_links",
}


@pytest.mark.parametrize("seed", [1, 2])
def test_dirty_sample_errors_are_exactly_the_injected_ones(
    conn: psycopg.Connection, tmp_path: Path, seed: int
) -> None:
    expected = write_sample(tmp_path, seed=seed, dirty=True, layers=4)
    results = validate_all(conn, tmp_path)
    for layer in expected["layers"]:
        version = layer["version"]
        stored = errors_for(conn, version)
        assert keys(stored) == truth_keys(layer), version
        assert len(stored) == len(truth_keys(layer)), version
        assert results[version].status == ("invalid" if layer["errors"] else "validated")
    assert sum(len(layer["errors"]) for layer in expected["layers"]) > 0


def test_clean_sample_has_no_errors_and_counts_match(conn: psycopg.Connection, tmp_path: Path) -> None:
    expected = write_sample(tmp_path, seed=3, layers=3)
    results = validate_all(conn, tmp_path)
    for layer in expected["layers"]:
        result = results[layer["version"]]
        assert result.errors == [], result.errors[:5]
        for table, key in COUNTED.items():
            assert result.counts[table] == layer[key], (layer["version"], table)
            assert len(csv_rows(result.mapped[table])) == layer[key], (layer["version"], table)
        status = conn.execute(
            "SELECT status, error_count FROM loader_report WHERE version = %s", (layer["version"],)
        ).fetchone()
        assert status == ("validated", 0)
