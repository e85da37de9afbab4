"""Acceptance against the reference generator (../shared/datagen/make_export.py): on dirty
exports the stored errors of every layer equal truth.json's list exactly; on clean exports
there are none and the mapped rows count what truth.json says. Skips without ../shared."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.validation.outcome_store import errors_for
from tests.support.paths import require_shared
from tests.support.validation_helpers import (
    csv_rows,
    keys,
    make_export,
    truth_keys,
    validate_all,
)

SIZE = ("--passports", "400", "--layers", "3")
COUNTED = {
    "maintenance": "maintenance",
    "measurement": "measurements",
    "sign": "signs",
    "maintenance_crew": "crew_links",
}


@pytest.mark.parametrize(
    "args",
    [("--seed", "1"), ("--seed", "2"), ("--seed", "3"), ("--seed", "4", "--error-rate", "0.02")],
    ids=["seed1", "seed2", "seed3", "seed4-many-errors"],
)
def test_dirty_export_errors_equal_truth(
    conn: psycopg.Connection, tmp_path: Path, args: tuple[str, ...]
) -> None:
    truth = make_export(require_shared(), tmp_path, *SIZE, "--dirty", *args)
    results = validate_all(conn, tmp_path)
    for layer in truth["layers"]:
        stored = errors_for(conn, layer["version"])
        found, wanted = keys(stored), truth_keys(layer)
        assert found - wanted == set(), f"{layer['version']}: reported but not injected"
        assert wanted - found == set(), f"{layer['version']}: injected but not reported"
        assert len(stored) == len(wanted)
        result = results[layer["version"]]
        assert result.valid == (not wanted)
        duplicates = sum(1 for error in layer["errors"] if error[3] == "duplicated_ext_ids")
        assert result.counts["passport"] == layer["reports"] - duplicates  # the first copy is mapped
        assert {t: result.counts[t] for t in COUNTED} == {t: layer[k] for t, k in COUNTED.items()}
    assert sum(len(layer["errors"]) for layer in truth["layers"]) > 0


@pytest.mark.parametrize("seed", ["1", "2"])
def test_clean_export_has_no_errors_and_counts_match_truth(
    conn: psycopg.Connection, tmp_path: Path, seed: str
) -> None:
    truth = make_export(require_shared(), tmp_path, *SIZE, "--seed", seed)
    results = validate_all(conn, tmp_path)
    for layer in truth["layers"]:
        result = results[layer["version"]]
        assert result.errors == [], result.errors[:5]
        assert result.reports == layer["reports"]
        assert len(csv_rows(result.mapped["passport"])) == layer["reports"]  # no duplicates in a clean export
        for table, key in COUNTED.items():
            assert len(csv_rows(result.mapped[table])) == layer[key], (layer["version"], table)
            assert result.counts[table] == layer[key]
