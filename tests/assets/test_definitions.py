"""The code location loads, as `dagster dev` and the webserver load it, and refuses a broken schema."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from dagster import AssetCheckKey, AssetKey, Definitions

from assets.definitions import build_definitions, defs
from pipelines.contract.catalog_check import DeclarationError


@pytest.fixture
def environment(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("STRATA_HOME", str(tmp_path / "home"))


def test_definitions_build_and_validate() -> None:
    built = build_definitions()
    Definitions.validate_loadable(built)
    assert built.resources is not None and {"database", "drop_folder", "billig"} <= set(built.resources)


def test_the_code_location_loads_against_the_database(environment) -> None:
    loaded = defs()  # what Dagster's loader calls for the @definitions entry point
    graph = loaded.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == {
        "registered_export",
        "raw_layer",
        "loaded_layer",
        "passport_overview",
        "event_sales",
    }
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert checks == {
        ("raw_layer", "layer_is_valid"),
        ("loaded_layer", "manual_edits_kept"),
        ("passport_overview", "passport_overview_matches_sources"),
        ("event_sales", "event_sales_matches_billig"),
    }
    assert {s.name for s in loaded.sensors or []} == {"export_drop_sensor", "layer_sensor"}
    assert {s.name for s in loaded.schedules or []} == {"monthly_layer_schedule", "event_sales_hourly"}
    layer_job = loaded.resolve_job_def("layer_job")
    assert {key.to_user_string() for key in layer_job.asset_layer.selected_asset_keys} == {
        "raw_layer",
        "loaded_layer",
    }
    for name, assets in (
        ("validate_layer_job", {"raw_layer"}),
        ("load_layer_job", {"loaded_layer"}),
        ("register_export_job", {"registered_export"}),
    ):
        job = loaded.resolve_job_def(name)
        assert {key.to_user_string() for key in job.asset_layer.selected_asset_keys} == assets
    assert loaded.resolve_job_def("create_profiles_job").name == "create_profiles_job"


def test_layer_validity_blocks_the_load_and_loads_share_one_pool(environment) -> None:
    graph = defs().resolve_asset_graph()
    spec = graph.get_check_spec(AssetCheckKey(AssetKey("raw_layer"), "layer_is_valid"))
    assert spec.blocking
    assert not graph.get_check_spec(AssetCheckKey(AssetKey("loaded_layer"), "manual_edits_kept")).blocking
    loaded = graph.get(AssetKey("loaded_layer"))
    assert loaded.pools == {"strata_import"}


def test_a_table_without_its_history_trigger_fails_the_load_naming_it(
    environment, conn: psycopg.Connection
) -> None:
    conn.execute("DROP TRIGGER sign_history_update ON sign")
    conn.commit()
    with pytest.raises(DeclarationError, match="sign") as caught:
        defs()
    assert any("sign" in problem and "trigger" in problem for problem in caught.value.problems)
