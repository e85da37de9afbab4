"""`strata load` with layers of any month, and with a corrected older layer, as a user runs it."""

from __future__ import annotations

import orjson
import pytest
from dagster import AssetKey, DagsterInstance

from assets.partitions import LAYERS
from pipelines.cli.main import main
from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect
from tests.support.load_checks import assert_final_state
from tests.support.monthly_exports import corrected


@pytest.fixture
def home(cli_home: StrataHome) -> StrataHome:
    return cli_home


def _url(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["db", "url"]) == 0
    return capsys.readouterr().out.strip()


def test_layers_from_2017_across_a_year_end_load_and_a_corrected_older_one_is_refused(
    home: StrataHome, tmp_path, capsys
) -> None:
    sample = tmp_path / "s"
    assert main(["sample", str(sample), "--layers", "3", "--start", "2017-11", "--passports", "40"]) == 0
    assert main(["seed", str(sample / "reference")]) == 0
    capsys.readouterr()
    assert main(["load", str(sample / "export.json")]) == 0
    out = capsys.readouterr().out
    for version in ("2017-11", "2017-12", "2018-01"):
        assert f"{version}: loaded" in out
    assert "loaded through 2018-01" in out
    with DagsterInstance.from_config(str(home.dagster_home)) as instance:  # the UI's partitions
        assert instance.get_dynamic_partitions(LAYERS) == ["2017-11", "2017-12", "2018-01"]
        assert instance.get_materialized_partitions(AssetKey("loaded_layer")) == {
            "2017-11",
            "2017-12",
            "2018-01",
        }
        runs_before = len(instance.get_runs())
    with connect(_url(capsys)) as conn:
        assert_final_state(conn, orjson.loads((sample / "expected.json").read_bytes()))

    fixed = corrected(sample / "export.json", "2017-12", tmp_path / "corrected.json")
    assert main(["load", str(fixed)]) == 0
    out = capsys.readouterr().out
    assert "2017-12: REFUSED, not loaded" in out and "2018-01 is loaded already" in out
    assert "loaded through 2018-01" in out
    assert main(["layers"]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("2017-12")]
    assert "refused: older than the last loaded layer" in line
    with DagsterInstance.from_config(str(home.dagster_home)) as instance:
        assert len(instance.get_runs()) == runs_before  # no run was launched for it, none failed
    with connect(_url(capsys)) as conn:
        assert_final_state(conn, orjson.loads((sample / "expected.json").read_bytes()))
    assert main(["register", str(corrected(fixed, "2017-11", tmp_path / "again.json"))]) == 0
    assert "layer 2017-11: " in (out := capsys.readouterr().out) and "REFUSED, will not load" in out
