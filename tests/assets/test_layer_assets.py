"""The layer flow through Dagster, in process: raw_layer (+ blocking check) then loaded_layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from assets.loaded_layer import loaded_layer
from assets.partitions import add_layers
from assets.raw_layer import raw_layer
from pipelines.intake.registration import register
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from resources.database import DatabaseResource


@pytest.fixture
def database(db_url: str, tmp_path: Path) -> DatabaseResource:
    return DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home"))


def _prepare(database: DatabaseResource, tmp_path: Path, dirty: bool) -> dict:
    expected = write_sample(tmp_path / "s", seed=7, passports=80, layers=2, dirty=dirty)
    with database.connect() as conn:
        seed(conn, tmp_path / "s" / "reference")
        register(conn, tmp_path / "s" / "export.json", database.settings().home)
    return expected


def _run(database: DatabaseResource, version: str, instance: DagsterInstance):
    add_layers(instance, [version])
    return materialize(
        [raw_layer, loaded_layer],
        partition_key=version,
        resources={"database": database},
        instance=instance,
        raise_on_error=False,
    )


def _check(result, name: str):
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_a_valid_layer_loads_with_counts_in_metadata(database, tmp_path) -> None:
    expected = _prepare(database, tmp_path, dirty=False)
    first = expected["layers"][0]
    with DagsterInstance.ephemeral() as instance:
        result = _run(database, first["version"], instance)
    assert result.success
    assert _check(result, "layer_is_valid").passed
    [loaded, overview_event] = result.asset_materializations_for_node("loaded_layer")
    assert overview_event.asset_key == AssetKey("passport_overview")  # refreshed in the load's transaction
    meta = {k: v.value for k, v in loaded.metadata.items()}
    assert meta["passport_created"] + meta["passport_updated"] == first["reports"]
    assert meta["maintenance_crew_created"] == first["crew_links"]
    assert meta["key_checks"] == "set-based"  # the test server's superuser may skip the per-row checks
    assert _check(result, "manual_edits_kept").passed
    assert (meta["layer_state"], meta["error_count"], meta["source_file"]) == (
        "loaded",
        "0",
        "export.json (file 1)",
    )
    assert meta["loaded_at"] > 0
    [raw] = result.asset_materializations_for_node("raw_layer")
    raw_meta = {k: v.value for k, v in raw.metadata.items()}
    assert (raw_meta["layer_state"], raw_meta["error_count"]) == ("validated", "0")
    assert 0 < raw_meta["validated_at"] <= meta["loaded_at"]
    with database.connect() as conn:
        overview, passports = conn.execute(
            "SELECT (SELECT count(*) FROM passport_overview), (SELECT count(*) FROM passport)"
        ).fetchone()
    assert overview == passports  # the layer's, refreshed in its transaction; the seeded ones by triggers


def test_the_next_layer_in_a_run_of_its_own_leaves_out_the_rows_unchanged_since_the_first(
    database, tmp_path
) -> None:
    """Each layer materialized by a run of its own, as the sensors do: the second run's validation
    takes up the chain the first saved, and its load leaves the unchanged rows out and says so."""
    expected = _prepare(database, tmp_path, dirty=False)
    first, second = (layer["version"] for layer in expected["layers"])
    with DagsterInstance.ephemeral() as instance:
        assert _run(database, first, instance).success
        result = _run(database, second, instance)
    assert result.success
    meta = {k: v.value for k, v in result.asset_materializations_for_node("loaded_layer")[0].metadata.items()}
    assert meta["rows_left_out"] > 0, meta["unchanged_rows"]
    assert meta["unchanged_rows"] == "chain of 1 earlier loads holds"


def test_a_layer_with_analyst_errors_never_loads(database, tmp_path) -> None:
    expected = _prepare(database, tmp_path, dirty=True)
    first = expected["layers"][0]
    with DagsterInstance.ephemeral() as instance:
        result = _run(database, first["version"], instance)
        assert not result.success
        check = _check(result, "layer_is_valid")
        assert not check.passed
        meta = {k: v.value for k, v in check.metadata.items()}
        assert meta["errors"] == str(len(first["errors"]))  # text: no plot across layers
        # an invalid layer is not materialized: its partition is failed, never green
        assert result.asset_materializations_for_node("raw_layer") == []
        assert instance.get_materialized_partitions(AssetKey("raw_layer")) == set()
        [observed] = result.asset_observations_for_node("raw_layer")  # the partition's record of why
        assert observed.partition == first["version"]
        assert observed.metadata["errors"].value == str(len(first["errors"]))
        [failure] = result.get_step_failure_events()
        assert f"layer {first['version']} is blocked: {len(first['errors'])} analyst errors" in str(
            failure.event_specific_data.error.message
        )
        assert Path(meta["errors_csv"]).is_file() and "| code |" in meta["preview"]
        assert instance.get_latest_materialization_event(AssetKey("loaded_layer")) is None
    with database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM passport WHERE report_id IS NOT NULL").fetchone() == (0,)
