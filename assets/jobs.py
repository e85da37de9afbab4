"""The job that takes one monthly layer through the flow."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from assets.instance import FLOW_TAG

layer_job = define_asset_job(
    "layer_job",
    selection=AssetSelection.groups("registry_export"),
    description="Split, validate and load one monthly layer.",
    # The run queue (dagster.yaml, concurrency > runs > tag_concurrency_limits) admits at most
    # LAYER_RUNS of these at once, so ticks of the sensor and the schedule cannot stack runs.
    tags={FLOW_TAG: "layer"},
)
