"""Typed reads of what Dagster hands back to a test: its events and metadata are wide unions."""

from __future__ import annotations

from dagster import AssetMaterialization, DagsterEvent
from dagster._core.execution.plan.objects import StepFailureData
from dagster_shared.error import SerializableErrorInfo


def step_error(event: DagsterEvent) -> SerializableErrorInfo:
    """The error of a STEP_FAILURE event (assets.launch.failure_of reads the same for a whole run)."""
    data = event.event_specific_data
    assert isinstance(data, StepFailureData), event
    assert data.error is not None, event
    return data.error


def text_metadata(materialization: AssetMaterialization, key: str) -> str:
    """A metadata entry that is text (MetadataValue.text or .path, or a plain str)."""
    value = materialization.metadata[key].value
    assert isinstance(value, str), (key, value)
    return value
