"""raw_layer materialized in process, and the monthly schedule's choice of partition."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_schedule_context, materialize
from dagster._core.test_utils import instance_for_test

from assets.layer_schedule import monthly_layer_schedule, previous_month
from assets.partitions import LAYERS
from assets.raw_layer import raw_layer
from pipelines.intake.registration import register
from resources.database import DatabaseResource
from tests.support.dagster_values import text_metadata
from tests.support.intake_helpers import export_doc, report, write_json
from tests.support.sensor_ticks import run_request, skip_message


@pytest.fixture
def database(db_url: str, tmp_path: Path) -> DatabaseResource:
    resource = DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home"))
    with resource.connect() as conn:  # the vocabulary the small reports of tests.support.intake_helpers use
        conn.execute("INSERT INTO category (code, name) VALUES ('bridge', 'Bridge')")
    return resource


def _register(database: DatabaseResource, path: Path) -> None:
    with database.connect() as conn:
        register(conn, path, database.settings().home)


def test_raw_layer_takes_the_newest_export_holding_the_layer(database, tmp_path) -> None:
    _register(database, write_json(tmp_path / "old.json", export_doc({"2026-01": [report("P-1")]})))
    _register(
        database,
        write_json(
            tmp_path / "new.json",
            export_doc({"2026-01": [report("P-1"), report("P-2")], "2026-02": [report("P-3")]}),
        ),
    )
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(LAYERS, ["2026-01", "2026-02"])
        result = materialize(
            [raw_layer], partition_key="2026-01", resources={"database": database}, instance=instance
        )
    assert result.success
    [event] = result.asset_materializations_for_node("raw_layer")
    meta = {k: v.value for k, v in event.metadata.items()}
    assert meta["reports"] == 2 and text_metadata(event, "source_file").startswith("new.json")
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]
    assert Path(text_metadata(event, "spool")).read_bytes().count(b"\n") == 2


def test_a_layer_no_export_holds_fails_clearly(database) -> None:
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(LAYERS, ["2026-05"])  # a partition whose export is gone
        result = materialize(
            [raw_layer],
            partition_key="2026-05",
            resources={"database": database},
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    assert "no registered export holds layer 2026-05" in str(
        result.get_step_failure_events()[0].event_specific_data
    )


def test_the_schedule_runs_last_month_once_it_is_registered(database, tmp_path) -> None:
    assert previous_month(datetime(2027, 1, 2)) == "2026-12"
    when = datetime(2026, 3, 2, 6, tzinfo=UTC)
    with instance_for_test() as instance:
        with build_schedule_context(
            scheduled_execution_time=when, resources={"database": database}, instance=instance
        ) as context:
            skipped = monthly_layer_schedule(context)
        assert "2026-02" in skip_message(skipped)
        _register(database, write_json(tmp_path / "e.json", export_doc({"2026-02": [report("P-1")]})))
        with build_schedule_context(
            scheduled_execution_time=when, resources={"database": database}, instance=instance
        ) as context:
            not_yet = monthly_layer_schedule(context)
        assert "not a partition yet" in skip_message(not_yet)  # registered outside Dagster, sensor not ticked
        instance.add_dynamic_partitions(LAYERS, ["2026-02"])
        with build_schedule_context(
            scheduled_execution_time=when, resources={"database": database}, instance=instance
        ) as context:
            request = run_request(monthly_layer_schedule(context))
    assert request.partition_key == "2026-02" and (request.run_key or "").startswith("layer:2026-02:")
