"""Ticking Strata's sensors by hand (build_sensor_context) and running a registration in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster import DagsterInstance, RunRequest, SensorResult, SkipReason, build_sensor_context, materialize

from assets.intake_sensor import export_drop_sensor
from assets.layer_sensor import layer_sensor
from assets.registration import registered_export


def tick_drop(resources: dict[str, Any], cursor: str | None = None, instance: DagsterInstance | None = None):
    with build_sensor_context(cursor=cursor, resources=resources, instance=instance) as context:
        return export_drop_sensor(context)


def tick_layers(resources: dict[str, Any], instance: DagsterInstance) -> SensorResult | SkipReason:
    """One layer-sensor tick; its new partitions are added as the daemon would add them."""
    with build_sensor_context(resources={"database": resources["database"]}, instance=instance) as context:
        result = layer_sensor(context)
    assert isinstance(result, SensorResult | SkipReason), result  # what layer_sensor's function returns
    if isinstance(result, SensorResult):
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys or []))
    return result


def requested(result: object) -> list[tuple[str | None, str | None, str | None]]:
    """(job, partition, run key) of each run a tick asks for."""
    if not isinstance(result, SensorResult):
        return []
    return [(r.job_name, r.partition_key, r.run_key) for r in result.run_requests or []]


def run_registration(resources: dict[str, Any], path: Path, instance: DagsterInstance):
    """register_export_job's step, in process, for one file: what the drop sensor's request runs."""
    return materialize(
        [registered_export],
        instance=instance,
        resources={"database": resources["database"]},
        run_config={"ops": {"registered_export": {"config": {"path": str(path)}}}},
        raise_on_error=False,
    )


def skip_message(result: object) -> str:
    """Why a sensor or schedule tick asked for nothing; fails if it asked for a run."""
    assert isinstance(result, SkipReason), result
    assert result.skip_message is not None, result
    return result.skip_message


def run_request(result: object) -> RunRequest:
    """The one run a schedule tick asks for; fails if it skipped."""
    assert isinstance(result, RunRequest), result
    return result
