"""A validation chain saved beside a layer's mapped rows is taken up by the next process's first
validation, only while the database holds exactly what that chain's loads wrote.

Each ``validate_registered`` here runs without the worker's chain (no ``start_chain``), so it
builds a chain of its own, as a Dagster run or next month's `strata load` does: what it knows of
the layers before comes from ``chain.npz`` on disk, never from this process's memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import psycopg

from pipelines.core.settings import StrataHome
from pipelines.intake.housekeeping import tidy_spools
from pipelines.intake.spools import CHAIN_STATE
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.chain_store import read_chain_state
from pipelines.validation.import_chain import CLAIM
from pipelines.validation.registered import mapped_dir, registered_layer, validate_registered
from pipelines.validation.row_ledger import ext_key
from tests.support.load_checks import assert_final_state, load_export


def _sample(conn: psycopg.Connection, tmp_path: Path, layers: int = 4) -> tuple[Path, dict, StrataHome]:
    expected = write_sample(tmp_path / "sample", seed=5, passports=150, layers=layers)
    seed(conn, tmp_path / "sample" / "reference")
    conn.commit()
    return tmp_path / "sample" / "export.json", expected, StrataHome(tmp_path / "home").ensure()


def _claim(conn: psycopg.Connection, version: str) -> dict:
    folder = mapped_dir(registered_layer(conn, version))
    conn.commit()
    return orjson.loads((folder / CLAIM).read_bytes())


def test_each_layer_resumes_the_chain_the_layer_loaded_last_saved(conn, tmp_path) -> None:
    """Validated and loaded one layer at a time, each in a chain of its own: from the second layer
    on the chain is resumed from disk, the loads leave rows out, and the database is the expected one."""
    export, expected, home = _sample(conn, tmp_path)
    results = load_export(conn, export, home)
    versions = [r.version for r in results]
    assert [r.chain_held for r in results] == [False, True, True, True], [r.chain for r in results]
    assert results[0].rows_left_out == 0 and all(r.rows_left_out > 0 for r in results[1:])
    validations = [_claim(conn, v)["validation"] for v in versions]
    assert [_claim(conn, v)["after"] for v in versions] == [validations[:n] for n in range(len(versions))]
    assert_final_state(conn, expected)


def test_a_manual_write_since_the_chain_began_starts_a_new_one(conn, tmp_path) -> None:
    """A statement of an analyst's (even one that changes no row) after the loads: the next layer's
    validation does not take up the saved chain, its load copies every row, and the chain starts
    again from that layer."""
    export, expected, home = _sample(conn, tmp_path)
    assert [r.version for r in load_export(conn, export, home, through="2026-02")] == ["2026-01", "2026-02"]
    conn.execute("UPDATE sign SET ext_id = ext_id WHERE false")  # a manual transaction on an imported table
    conn.commit()
    third = registered_layer(conn, "2026-03")
    assert validate_registered(conn, third).valid
    conn.commit()
    assert _claim(conn, "2026-03")["after"] == [] and not list(mapped_dir(third).glob("*.staged"))
    result = load_layer(conn, "2026-03")
    assert (result.chain_held, result.rows_left_out) == (False, 0)
    assert validate_registered(conn, registered_layer(conn, "2026-04")).valid
    conn.commit()
    assert _claim(conn, "2026-04")["after"] == [_claim(conn, "2026-03")["validation"]]
    assert load_layer(conn, "2026-04").chain_held  # it resumes the chain 2026-03 began
    assert_final_state(conn, expected)


def test_a_chain_is_not_taken_up_when_its_layer_was_validated_again(conn, tmp_path) -> None:
    """The layer loaded last validated once more after its load: the chain it saves names a
    validation no load committed, so the next layer compares with nothing."""
    export, _, home = _sample(conn, tmp_path)
    load_export(conn, export, home, through="2026-02")
    assert validate_registered(conn, registered_layer(conn, "2026-02")).valid  # again: a new validation
    conn.commit()
    assert validate_registered(conn, registered_layer(conn, "2026-03")).valid
    conn.commit()
    assert _claim(conn, "2026-03")["after"] == []
    assert not load_layer(conn, "2026-03").chain_held


def test_housekeeping_keeps_only_the_chain_of_the_layer_loaded_last(conn, tmp_path) -> None:
    export, _, home = _sample(conn, tmp_path)
    versions = [r.version for r in load_export(conn, export, home)]
    folders = [mapped_dir(registered_layer(conn, v)) for v in versions]
    conn.commit()
    assert all((f / CHAIN_STATE).is_file() for f in folders)
    tidied = tidy_spools(conn, home)
    assert tidied.chain_states == len(versions) - 1, tidied
    assert [(f / CHAIN_STATE).is_file() for f in folders] == [False] * (len(versions) - 1) + [True]
    saved = read_chain_state(folders[-1] / CHAIN_STATE)
    assert saved is not None and saved.after == [_claim(conn, v)["validation"] for v in versions]


def test_a_saved_chain_of_another_format_or_cut_short_is_not_read(tmp_path) -> None:
    other = tmp_path / "other.npz"
    np.savez(other, format=np.array("someone-else-1"), after=np.array(["a"]))
    assert read_chain_state(other) is None
    cut = tmp_path / "cut.npz"
    np.savez(cut, format=np.array("strata-chain-1"), after=np.array(["00000000-0000-0000-0000-000000000001"]))
    cut.write_bytes(cut.read_bytes()[:40])
    assert read_chain_state(cut) is None
    assert read_chain_state(tmp_path / "absent.npz") is None


def test_an_ext_id_has_the_same_key_in_every_process() -> None:
    """The chain is resumed by another process: its keys must not depend on Python's hash seed."""
    ext_ids = ["MX-2026-000001", "PS-1", "ünïcode-7", ""]
    code = f"from pipelines.validation.row_ledger import ext_key; print([ext_key(e) for e in {ext_ids!r}])"
    seen = set()
    for seed_value in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed_value},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        seen.add(out.strip())
    assert seen == {str([ext_key(e) for e in ext_ids])}
