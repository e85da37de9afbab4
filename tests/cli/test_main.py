"""The `strata` command as `make run` uses it, on an embedded server of its own."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pipelines.cli.main import main
from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect
from tests.support.load_checks import assert_final_state


@pytest.fixture
def home(cli_home: StrataHome) -> StrataHome:
    return cli_home


def test_make_run_sequence_on_a_fresh_home(home: StrataHome, tmp_path: Path, capsys) -> None:
    assert main(["db", "up"]) == 0
    assert "0001_reference.sql" in capsys.readouterr().out
    assert main(["db", "up"]) == 0
    assert "none (schema current)" in capsys.readouterr().out
    assert main(["db", "url"]) == 0
    assert capsys.readouterr().out.strip().startswith("postgresql://")
    assert (home.dagster_home / "dagster.yaml").read_text().count("postgresql+psycopg2://") == 1
    assert main(["sample", str(tmp_path / "s")]) == 0
    assert main(["seed", str(tmp_path / "s" / "reference")]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "profile" in out and "passport_history" in out
    assert main(["db", "down"]) == 0
    assert "stopped" in capsys.readouterr().out


def test_errors_are_one_clear_line(home: StrataHome, tmp_path: Path, capsys) -> None:
    assert main(["seed", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("strata: ") and "profiles.csv" in err and "Traceback" not in err


def test_load_validates_everything_and_loads_in_order(home: StrataHome, tmp_path: Path, capsys) -> None:
    assert main(["sample", str(tmp_path / "s"), "--layers", "3"]) == 0
    assert main(["seed", str(tmp_path / "s" / "reference")]) == 0
    capsys.readouterr()
    assert main(["load", str(tmp_path / "s" / "export.json"), "--through", "2026-02"]) == 0
    out = capsys.readouterr().out
    assert "2026-01: loaded" in out and "2026-03" not in out and "loaded through 2026-02" in out
    assert main(["load", str(tmp_path / "s" / "export.json")]) == 0
    out = capsys.readouterr().out
    assert "2026-01: loaded already with this content, skipped" in out and "loaded through 2026-03" in out
    with connect(_strata_url(capsys)) as conn:  # strata load's own worker and launch gave the right rows
        assert_final_state(conn, orjson.loads((tmp_path / "s" / "expected.json").read_bytes()))
    assert main(["asof", "2026-01", "P-00000001"]) == 0
    assert '"layer": "2026-01"' in capsys.readouterr().out
    assert main(["changes", "2026-01", "--json"]) == 0
    created = orjson.loads(capsys.readouterr().out)["tables"]
    measured = {r["row"]["maintenance_id"] for r in created["measurement"]["created"]}
    [maintenance] = [r for r in created["maintenance"]["created"] if r["row_id"] == min(measured)]
    [passport] = [
        r for r in created["passport"]["created"] if r["row_id"] == maintenance["row"]["passport_id"]
    ]
    assert main(["asof", "2026-01", passport["ext_id"]]) == 0
    state = orjson.loads(capsys.readouterr().out)
    [record] = [m for m in state["maintenance"] if m["ext_id"] == maintenance["ext_id"]]
    assert record["measurements"] and state["passport"]["name"] == passport["row"]["name"]
    assert main(["asof", "2026-01", maintenance["ext_id"]]) == 0  # found as a maintenance record
    assert orjson.loads(capsys.readouterr().out)["maintenance"] == record
    assert main(["asof", "2026-01", maintenance["ext_id"], "--passport"]) == 2
    assert f"passport {maintenance['ext_id']} did not exist right after" in capsys.readouterr().err
    assert main(["asof", "2030-01", "P-00000001"]) == 2
    assert "layer 2030-01 was never loaded" in capsys.readouterr().err

    assert main(["layers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["version", "state", "errors"]
    assert [line.split()[:3] for line in lines[1:]] == [
        [v, "loaded", "0"] for v in ("2026-01", "2026-02", "2026-03")
    ]
    assert all(line.endswith("export.json (file 1)") for line in lines[1:])
    assert main(["layers", "--json"]) == 0
    assert [layer["state"] for layer in orjson.loads(capsys.readouterr().out)] == ["loaded"] * 3

    assert main(["changes", "2026-02", "--json"]) == 0
    changes = orjson.loads(capsys.readouterr().out)
    assert changes["layer"] == "2026-02" and changes["tables"]["passport"]["updated"]
    assert all(set(r["columns"]) for r in changes["tables"]["passport"]["updated"])
    assert main(["changes", "2026-02", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("layer 2026-02:") and "  passport: " in out and "more updated" in out
    assert main(["changes", "2030-01"]) == 2


def test_load_of_a_dirty_export_names_the_blocked_layers(home: StrataHome, tmp_path: Path, capsys) -> None:
    assert main(["sample", str(tmp_path / "d"), "--dirty", "--layers", "2"]) == 0
    assert main(["seed", str(tmp_path / "d" / "reference")]) == 0
    capsys.readouterr()
    assert main(["load", str(tmp_path / "d" / "export.json")]) == 1
    captured = capsys.readouterr()
    assert "2026-01: BLOCKED" in captured.out and "blocked: 2026-01, 2026-02" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert main(["errors", "2026-01", "--json"]) == 0
    errors = orjson.loads(capsys.readouterr().out)
    assert main(["layers"]) == 0
    first = capsys.readouterr().out.splitlines()[1]
    assert first.split()[:3] == ["2026-01", "invalid", str(len(errors))]
    assert all(f"{e['code']} " in first for e in errors)  # counts by code
    expected = orjson.loads((tmp_path / "d" / "expected.json").read_bytes())
    with connect(_strata_url(capsys)) as conn:  # every layer was validated, though none could load
        counts = dict(
            conn.execute("SELECT version, error_count FROM loader_report ORDER BY version").fetchall()
        )
        assert counts == {layer["version"]: len(layer["errors"]) for layer in expected["layers"]}
        assert conn.execute("SELECT count(*) FROM passport WHERE report_id IS NOT NULL").fetchone() == (0,)


def _strata_url(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["db", "url"]) == 0
    return capsys.readouterr().out.strip()


def test_register_list_and_get_back_an_export(home: StrataHome, tmp_path: Path, capsys) -> None:
    assert main(["sample", str(tmp_path / "s"), "--7z"]) == 0
    upload = tmp_path / "s" / "export.7z"
    assert main(["register", str(upload)]) == 0
    assert "layer 2026-01" in capsys.readouterr().out
    assert main(["register", str(upload)]) == 2
    assert "registered already as file 1" in capsys.readouterr().err
    assert main(["files"]) == 0
    assert "export.7z" in capsys.readouterr().out
    assert main(["files", "get", "1", str(tmp_path / "back.7z")]) == 0
    assert (tmp_path / "back.7z").read_bytes() == upload.read_bytes()
