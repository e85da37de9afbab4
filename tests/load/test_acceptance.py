"""Acceptance against the reference generator's truth.json (runs where ../shared exists, as in CI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from pipelines.core.settings import StrataHome
from pipelines.db.counts import table_counts
from pipelines.load.transaction import load_layer
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.load_checks import IMPORTED, assert_final_state, load_export
from tests.support.paths import require_shared

CASES = [  # (seed, passports, layers, existing): existing > the first layer covers "--existing larger"
    (11, 300, 4, None),
    (12, 250, 3, 400),
    (13, 200, 5, None),
]


@pytest.mark.parametrize(("seed_no", "passports", "layers", "existing"), CASES)
def test_clean_export_loads_to_truth(
    conn: psycopg.Connection, tmp_path: Path, seed_no: int, passports: int, layers: int, existing: int | None
) -> None:
    make_export = require_shared()
    out = tmp_path / "export"
    args = [
        sys.executable,
        str(make_export),
        str(out),
        "--passports",
        str(passports),
        "--layers",
        str(layers),
        "--seed",
        str(seed_no),
    ] + (["--existing", str(existing)] if existing else [])
    subprocess.run(args, check=True, capture_output=True)
    truth = json.loads((out / "truth.json").read_text())
    seed(conn, out / "reference")
    home = StrataHome(tmp_path / "home").ensure()
    load_export(conn, out / "export.json", home)
    assert_final_state(conn, truth)
    before = table_counts(conn, IMPORTED)
    latest = truth["layers"][-1]["version"]
    assert validate_registered(conn, registered_layer(conn, latest)).valid
    conn.commit()
    assert load_layer(conn, latest).writes == 0
    assert table_counts(conn, IMPORTED) == before
