"""The layer sensor and the monthly schedule over real registrations, validations and loads.

Runs are executed in process, in whatever order the test chooses, the way a daemon with two layer
runs in flight may finish them: a later layer's validation before an earlier one's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    build_schedule_context,
    materialize,
)
from dagster._core.test_utils import create_run_for_test, instance_for_test

import assets.loaded_layer as loaded_layer_module
from assets.layer_schedule import monthly_layer_schedule
from assets.loaded_layer import loaded_layer
from assets.partitions import LAYERS
from assets.raw_layer import raw_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from resources.database import DatabaseResource
from tests.support.dagster_values import step_error
from tests.support.load_checks import assert_final_state
from tests.support.monthly_exports import MonthlyExports, corrected, monthly_exports
from tests.support.sensor_ticks import requested, run_registration, skip_message, tick_layers


@pytest.fixture
def resources(db_url: str, tmp_path: Path) -> dict:
    return {"database": DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home"))}


@pytest.fixture
def exports(resources: dict, tmp_path: Path) -> MonthlyExports:
    # a large first layer (300 passports), small later ones; versions cross a year end
    months = monthly_exports(tmp_path / "exports", start="2017-11", layers=4, passports=300)
    with resources["database"].connect() as conn:
        seed(conn, months.reference)
    return months


def _materialize(resources: dict, instance: DagsterInstance, job: str, version: str):
    """What a run of ``job`` for ``version`` materializes, in process; it may fail."""
    selection = {
        "validate_layer_job": [raw_layer],
        "load_layer_job": [loaded_layer],
        "layer_job": [raw_layer, loaded_layer],
    }[job]
    return materialize(
        [raw_layer, loaded_layer],
        selection=selection,
        partition_key=version,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )


def _run(resources: dict, instance: DagsterInstance, job: str, version: str):
    result = _materialize(resources, instance, job, version)
    assert result.success, result.get_step_failure_events()
    return result


def _loaded(resources: dict) -> list[str]:
    with resources["database"].connect() as conn:
        return [v for (v,) in conn.execute("SELECT version FROM loader_report WHERE loaded_at IS NOT NULL")]


def test_layers_load_in_version_order_whichever_validation_ends_first(resources, exports, capsys) -> None:
    first_month = exports.versions[:-1]  # 2017-11, 2017-12, 2018-01
    assert first_month == ["2017-11", "2017-12", "2018-01"]
    with DagsterInstance.ephemeral() as instance:
        assert run_registration(resources, exports.first, instance).success
        started = time.perf_counter()
        asked = requested(tick_layers(resources, instance))
        with capsys.disabled():  # measured, never asserted
            print(
                f"\nlayer-sensor tick, 3 layers registered: {(time.perf_counter() - started) * 1000:.0f} ms"
            )
        # the next to load, never validated, is validated and loaded by one run; the others validate
        assert [(job, version) for job, version, _ in asked] == [
            ("validate_layer_job", "2017-12"),
            ("validate_layer_job", "2018-01"),
            ("layer_job", "2017-11"),
        ]
        # the small later layers validate first; the large first one is still on its way
        for version in reversed(first_month[1:]):
            _run(resources, instance, "validate_layer_job", version)
        create_run_for_test(
            instance,
            job_name="layer_job",
            status=DagsterRunStatus.STARTED,
            tags={"dagster/partition": "2017-11"},
        )
        waiting = tick_layers(resources, instance)
        assert "load of 2017-11 is on its way" in skip_message(waiting)
        for run in instance.get_runs():
            if run.status is DagsterRunStatus.STARTED:
                instance.report_run_canceled(run)
        # the run did not happen: validated by hand, 2017-11 is asked for as a load of its own
        _run(resources, instance, "validate_layer_job", "2017-11")
        loads = []
        for _ in first_month:
            pairs = [(job, version) for job, version, _ in requested(tick_layers(resources, instance))]
            assert len([a for a in pairs if a[0] == "load_layer_job"]) == 1, pairs  # one load at a time
            [(job, version)] = pairs
            assert job is not None and version is not None  # the layer sensor names both
            loads.append(version)
            _run(resources, instance, job, version)
        assert loads == first_month and _loaded(resources) == first_month
        done = tick_layers(resources, instance)
        assert "every registered layer is loaded" in skip_message(done)

        # next month: every earlier layer again plus one new; only the new one is validated and loaded
        assert run_registration(resources, exports.second, instance).success
        assert [(j, v) for j, v, _ in requested(tick_layers(resources, instance))] == [
            ("layer_job", "2018-02")
        ]  # one run validates and loads the month's new layer: no second run, no second tick
        _run(resources, instance, "layer_job", "2018-02")
        assert instance.get_dynamic_partitions(LAYERS) == exports.versions
    with resources["database"].connect() as conn:
        assert_final_state(conn, exports.expected)


def test_a_load_asked_for_while_another_is_on_its_way_waits(resources, exports) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_registration(resources, exports.first, instance).success
        for version in exports.versions[:-1]:
            _run(resources, instance, "validate_layer_job", version)
        create_run_for_test(
            instance,
            job_name="__ASSET_JOB",
            status=DagsterRunStatus.NOT_STARTED,
            tags={"dagster/partition": "2017-11"},
        )  # a UI materialization names its assets; this one names none, so it is not a load
        assert [j for j, _, _ in requested(tick_layers(resources, instance))] == ["load_layer_job"]
        create_run_for_test(
            instance,
            job_name="layer_job",
            status=DagsterRunStatus.NOT_STARTED,
            tags={"dagster/partition": "2017-11"},
        )
        waiting = tick_layers(resources, instance)
        assert "load of 2017-11 is on its way" in skip_message(waiting)


def test_a_corrected_older_layer_is_refused_at_registration_and_never_requested(
    resources, exports, tmp_path
) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_registration(resources, exports.second, instance).success
        for version in exports.versions:
            _run(resources, instance, "validate_layer_job", version)
            _run(resources, instance, "load_layer_job", version)
        fixed = corrected(exports.second, "2017-12", tmp_path / "export-corrected.json")
        registration = run_registration(resources, fixed, instance)
        [materialization] = registration.asset_materializations_for_node("registered_export")
        refused = materialization.metadata["refused"].value
        assert "2017-12" in refused and "2018-02 is loaded already" in refused and "next layer" in refused
        assert materialization.metadata["new_or_changed"].value == "2017-12"
        result = tick_layers(resources, instance)
        assert "1 refused" in skip_message(result)
        # by hand from the UI it fails at once, saying why, before any validation work
        by_hand = _materialize(resources, instance, "layer_job", "2017-12")
        assert not by_hand.success
        [failure] = by_hand.get_step_failure_events()
        assert "2018-02 is loaded already" in step_error(failure).message
    with resources["database"].connect() as conn:
        assert_final_state(conn, exports.expected)  # nothing of the correction was written


def test_a_load_ahead_of_its_turn_waits_for_the_earlier_layer_then_is_refused(
    resources, exports, monkeypatch
) -> None:
    """What a UI backfill of several layers does: the later load looks again instead of failing."""
    monkeypatch.setattr(loaded_layer_module, "WAIT_SECONDS", 0)
    monkeypatch.setattr(loaded_layer_module, "WAIT_TURNS", 2)
    with DagsterInstance.ephemeral() as instance:
        assert run_registration(resources, exports.first, instance).success
        _run(resources, instance, "validate_layer_job", "2017-12")
        early = _materialize(resources, instance, "load_layer_job", "2017-12")
        assert not early.success
        retries = [e for e in early.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
        assert len(retries) == 2
        [failure] = early.get_step_failure_events()  # after its turns, the engine's own refusal
        assert "cannot load before the earlier layers 2017-11" in step_error(failure).message
        assert _loaded(resources) == []


def test_the_schedule_asks_only_for_the_next_layer(resources, exports) -> None:
    def tick(when: datetime, instance: DagsterInstance):
        with build_schedule_context(
            resources=resources, scheduled_execution_time=when, instance=instance
        ) as context:
            return monthly_layer_schedule(context)

    with instance_for_test() as instance:  # a schedule's context wants a persistent instance
        early = tick(datetime(2017, 12, 2, 6, tzinfo=UTC), instance)
        assert "2017-11 is in no registered export" in skip_message(early)
        assert run_registration(resources, exports.first, instance).success
        later = tick(datetime(2018, 1, 2, 6, tzinfo=UTC), instance)  # 2017-12, but 2017-11 is not loaded
        assert "2017-12 waits for 2017-11" in skip_message(later)
        asked = tick(datetime(2017, 12, 2, 6, tzinfo=UTC), instance)
        assert isinstance(asked, RunRequest) and asked.partition_key == "2017-11"
        result = materialize(
            [raw_layer, loaded_layer], partition_key="2017-11", instance=instance, resources=resources
        )
        assert result.success and _loaded(resources) == ["2017-11"]
        again = tick(datetime(2017, 12, 2, 6, tzinfo=UTC), instance)
        assert "loaded already" in skip_message(again)


def test_passport_overview_materializes_with_each_load(resources, exports) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_registration(resources, exports.first, instance).success
        _run(resources, instance, "validate_layer_job", "2017-11")
        run = _run(resources, instance, "load_layer_job", "2017-11")
        [overview] = run.asset_materializations_for_node("loaded_layer")[1:]
        assert overview.asset_key.to_user_string() == "passport_overview"
        event = instance.get_latest_materialization_event(overview.asset_key)
        assert event is not None and event.run_id == run.run_id
        with resources["database"].connect() as conn:
            rows = conn.execute("SELECT count(*) FROM passport_overview").fetchone()[0]
        assert overview.metadata["rows"].value == rows > 0
        assert overview.metadata["inserted"].value > 0 and overview.metadata["layer"].value == "2017-11"


def test_a_layer_validated_and_loaded_in_one_run_stops_at_its_analyst_errors(resources, tmp_path) -> None:
    """The sensor's one run for the next layer: the blocking check stops the load, nothing is
    written, and the layer is not asked for again until someone fixes it."""
    write_sample(tmp_path / "dirty", seed=4, passports=40, layers=2, dirty=True)
    with resources["database"].connect() as conn:
        seed(conn, tmp_path / "dirty" / "reference")
        seeded = conn.execute("SELECT count(*) FROM passport").fetchone()[0]
    with DagsterInstance.ephemeral() as instance:
        assert run_registration(resources, tmp_path / "dirty" / "export.json", instance).success
        asked = [(j, v) for j, v, _ in requested(tick_layers(resources, instance))]
        assert asked == [("validate_layer_job", "2026-02"), ("layer_job", "2026-01")]
        run = _materialize(resources, instance, "layer_job", "2026-01")
        assert not run.success
        assert run.asset_materializations_for_node("loaded_layer") == []
        [check] = run.get_asset_check_evaluations()
        assert check.check_name == "layer_is_valid" and not check.passed
        assert _loaded(resources) == []
        _materialize(resources, instance, "validate_layer_job", "2026-02")  # dirty too; then nothing to ask
        assert "layer 2026-01 has analyst errors" in skip_message(tick_layers(resources, instance))
    with resources["database"].connect() as conn:
        assert conn.execute("SELECT count(*) FROM passport").fetchone()[0] == seeded
        assert (
            conn.execute("SELECT count(*) FROM passport_history WHERE report_id IS NOT NULL").fetchone()[0]
            == 0
        )
